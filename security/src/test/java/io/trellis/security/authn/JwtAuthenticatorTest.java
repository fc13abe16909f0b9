package io.trellis.security.authn;

import static io.trellis.security.authn.JwtTestTokens.b64;
import static io.trellis.security.authn.JwtTestTokens.pem;
import static io.trellis.security.authn.JwtTestTokens.secret;
import static io.trellis.security.authn.JwtTestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.AuthzResult;
import io.trellis.security.authz.JwtAclStore;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JwtAuthenticatorTest {

  static final long NOW = 1_800_000_000L;
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
  static final String SECRET = "a-shared-secret-of-some-length-1234";

  static KeyPair rsa;
  static KeyPair p256;
  static KeyPair p384;
  static KeyPair p521;

  @BeforeAll
  static void keys() throws Exception {
    rsa = JwtTestTokens.rsa();
    p256 = JwtTestTokens.ec("secp256r1");
    p384 = JwtTestTokens.ec("secp384r1");
    p521 = JwtTestTokens.ec("secp521r1");
  }

  static JwtAuthenticator jwt(JwtKeySource keys) {
    return jwt(keys, Map.of(), null);
  }

  static JwtAuthenticator jwt(JwtKeySource keys, Map<String, String> claims, JwtAclStore store) {
    return new JwtAuthenticator("authentication.1", JwtAuthenticator.From.PASSWORD, keys, claims,
        "acl", store, CLOCK);
  }

  static ConnectInfo withPassword(String token) {
    return new ConnectInfo("c1", "u1", token.getBytes(StandardCharsets.UTF_8), null, "tcp:default",
        null, null);
  }

  static String claims(long exp) {
    return "{\"sub\":\"u1\",\"exp\":" + exp + "}";
  }

  @ParameterizedTest
  @ValueSource(strings = {"HS256", "HS384", "HS512"})
  void hmacTokensAreAllowed(String alg) throws Exception {
    String token = sign(alg, claims(NOW + 60), secret(SECRET));
    JwtAuthenticator.Outcome outcome = jwt(JwtKeySource.hmac("k", SECRET, false))
        .verify(withPassword(token));
    assertThat(outcome.result()).isEqualTo(AuthnResult.allow(false));
    assertThat(outcome.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW + 60));
  }

  @Test
  void base64SecretAndTokenInTheUsername() throws Exception {
    byte[] raw = {1, 2, 3, (byte) 0xff, 0, 42, 7, 9};
    String token = sign("HS256", "{\"is_superuser\":true}",
        new javax.crypto.spec.SecretKeySpec(raw, "HMAC"));
    JwtAuthenticator fromUsername = new JwtAuthenticator("a", JwtAuthenticator.From.USERNAME,
        JwtKeySource.hmac("k", Base64.getEncoder().encodeToString(raw), true), Map.of(), null,
        null, CLOCK);
    ConnectInfo c = new ConnectInfo("c1", token, null, null, null, null, null);
    assertThat(fromUsername.authenticate(c)).isEqualTo(AuthnResult.allow(true));
    assertThat(fromUsername.verify(c).expiresAt()).isNull();
    // From the password, the same client has no token: ignore.
    assertThat(jwt(JwtKeySource.hmac("k", Base64.getEncoder().encodeToString(raw), true))
        .authenticate(c)).isEqualTo(AuthnResult.IGNORE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"RS256", "RS384", "RS512"})
  void rsaTokensAreAllowed(String alg) throws Exception {
    String token = sign(alg, claims(NOW + 60), rsa.getPrivate());
    assertThat(jwt(JwtKeySource.publicKey("k", pem(rsa.getPublic())))
        .authenticate(withPassword(token))).isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void ecTokensAreAllowedOnlyWithTheirCurve() throws Exception {
    assertThat(jwt(JwtKeySource.publicKey("k", pem(p256.getPublic())))
        .authenticate(withPassword(sign("ES256", claims(NOW + 60), p256.getPrivate()))))
        .isEqualTo(AuthnResult.allow(false));
    assertThat(jwt(JwtKeySource.publicKey("k", pem(p384.getPublic())))
        .authenticate(withPassword(sign("ES384", claims(NOW + 60), p384.getPrivate()))))
        .isEqualTo(AuthnResult.allow(false));
    assertThat(jwt(JwtKeySource.publicKey("k", pem(p521.getPublic())))
        .authenticate(withPassword(sign("ES512", claims(NOW + 60), p521.getPrivate()))))
        .isEqualTo(AuthnResult.allow(false));
    // A valid SHA-256 ECDSA signature made on P-384 is not ES256 (RFC 7518 pins the curve).
    String mislabelled = sign("ES256", claims(NOW + 60), p384.getPrivate());
    assertThat(jwt(JwtKeySource.publicKey("k", pem(p384.getPublic())))
        .authenticate(withPassword(mislabelled))).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void expiredAndNotYetValidTokensAreDenied() throws Exception {
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false));
    assertThat(auth.authenticate(withPassword(sign("HS256", claims(NOW - 1), secret(SECRET)))))
        .isEqualTo(AuthnResult.deny("JWT expired"));
    assertThat(auth.authenticate(withPassword(sign("HS256", claims(NOW), secret(SECRET)))))
        .isEqualTo(AuthnResult.deny("JWT expired"));
    assertThat(auth.authenticate(withPassword(sign("HS256", "{\"nbf\":" + (NOW + 10) + "}",
        secret(SECRET))))).isInstanceOf(AuthnResult.Deny.class);
    assertThat(auth.authenticate(withPassword(sign("HS256", "{\"nbf\":" + (NOW - 10) + "}",
        secret(SECRET))))).isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void aWrongSignatureIsIgnored() throws Exception {
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false));
    assertThat(auth.authenticate(withPassword(sign("HS256", claims(NOW + 60),
        secret("another secret"))))).isEqualTo(AuthnResult.IGNORE);
    // Claims changed after signing.
    String token = sign("HS256", claims(NOW + 60), secret(SECRET));
    String[] parts = token.split("\\.");
    String forged = parts[0] + "." + b64("{\"sub\":\"admin\",\"exp\":" + (NOW + 60) + "}") + "."
        + parts[2];
    assertThat(auth.authenticate(withPassword(forged))).isEqualTo(AuthnResult.IGNORE);
    assertThat(auth.authenticate(withPassword("not a token"))).isEqualTo(AuthnResult.IGNORE);
    // RSA signed by another key.
    assertThat(jwt(JwtKeySource.publicKey("k", pem(rsa.getPublic())))
        .authenticate(withPassword(sign("RS256", claims(NOW + 60),
            JwtTestTokens.rsa().getPrivate())))).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void algNoneIsRefusedAndTheChainDenies() throws Exception {
    String unsigned = b64("{\"alg\":\"none\"}") + "." + b64(claims(NOW + 60)) + ".";
    String unsignedWithJunk = b64("{\"alg\":\"none\"}") + "." + b64(claims(NOW + 60)) + ".eA";
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false));
    assertThat(auth.authenticate(withPassword(unsigned))).isEqualTo(AuthnResult.IGNORE);
    assertThat(auth.authenticate(withPassword(unsignedWithJunk))).isEqualTo(AuthnResult.IGNORE);
    // A header with extensions this verifier does not know ("crit") is refused, even signed.
    String critical = sign("HS256", "{\"alg\":\"HS256\",\"crit\":[\"exp2\"],\"exp2\":1}",
        claims(NOW + 60), secret(SECRET));
    assertThat(auth.authenticate(withPassword(critical))).isEqualTo(AuthnResult.IGNORE);
    assertThat(AuthenticationChain.of(List.of(auth)).authenticate(withPassword(unsigned))
        .allowed()).isFalse();
  }

  @Test
  void hmacWithThePublicKeyAsSecretIsRefused() throws Exception {
    // The classic confusion: the attacker HMACs with the (public) key bytes and says HS256.
    String pemText = pem(rsa.getPublic());
    JwtAuthenticator auth = jwt(JwtKeySource.publicKey("k", pemText));
    for (byte[] keyBytes : List.of(pemText.getBytes(StandardCharsets.US_ASCII),
        rsa.getPublic().getEncoded())) {
      String token = sign("HS256", claims(NOW + 60),
          new javax.crypto.spec.SecretKeySpec(keyBytes, "HMAC"));
      assertThat(auth.authenticate(withPassword(token))).isEqualTo(AuthnResult.IGNORE);
    }
    // And an RSA token is not accepted by an HMAC authenticator.
    assertThat(jwt(JwtKeySource.hmac("k", SECRET, false)).authenticate(withPassword(
        sign("RS256", claims(NOW + 60), rsa.getPrivate())))).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void verifyClaimsWithPlaceholders() throws Exception {
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false),
        Map.of("sub", "${username}", "client", "${clientid}", "tenant", "acme"), null);
    String good = sign("HS256", "{\"sub\":\"u1\",\"client\":\"c1\",\"tenant\":\"acme\"}",
        secret(SECRET));
    assertThat(auth.authenticate(withPassword(good))).isEqualTo(AuthnResult.allow(false));
    String otherUser = sign("HS256", "{\"sub\":\"u2\",\"client\":\"c1\",\"tenant\":\"acme\"}",
        secret(SECRET));
    assertThat(auth.authenticate(withPassword(otherUser)))
        .isEqualTo(AuthnResult.deny("JWT claim 'sub' does not match verify_claims"));
    String missing = sign("HS256", "{\"sub\":\"u1\",\"client\":\"c1\"}", secret(SECRET));
    assertThat(auth.authenticate(withPassword(missing))).isInstanceOf(AuthnResult.Deny.class);
    assertThatThrownBy(() -> jwt(JwtKeySource.hmac("k", SECRET, false),
        Map.of("sub", "${password}"), null))
        .hasMessageContaining("verify_claims.sub").hasMessageContaining("${password}");
  }

  @Test
  void legacyAclClaimGoesToTheStore() throws Exception {
    JwtAclStore store = new JwtAclStore(CLOCK);
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false), Map.of(), store);
    String token = sign("HS256", "{\"exp\":" + (NOW + 60) + ",\"acl\":{\"pub\":[\"up/${clientid}\"],"
        + "\"sub\":[\"down/#\"],\"all\":[\"both\"]}}", secret(SECRET));
    JwtAuthenticator.Outcome outcome = auth.verify(withPassword(token));
    assertThat(outcome.result().allowed()).isTrue();
    assertThat(outcome.acl()).isNotNull();
    AuthzClient c1 = new AuthzClient("c1", "u1", null, false);
    assertThat(store.authorize(c1, AuthzAction.publish(0, false), "up/c1"))
        .isEqualTo(AuthzResult.ALLOW);
    assertThat(store.authorize(c1, AuthzAction.publish(0, false), "up/c2"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(store.authorize(c1, AuthzAction.subscribe(1), "down/x/y"))
        .isEqualTo(AuthzResult.ALLOW);
    assertThat(store.authorize(c1, AuthzAction.publish(1, false), "down/x"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(store.authorize(c1, AuthzAction.publish(1, false), "both"))
        .isEqualTo(AuthzResult.ALLOW);
    // Another client has no ACL here: the configured sources decide.
    assertThat(store.authorize(new AuthzClient("c2", null, null, false),
        AuthzAction.publish(0, false), "x")).isEqualTo(AuthzResult.NOMATCH);
    // After the token expires the ACL denies everything.
    JwtAclStore later = new JwtAclStore(Clock.offset(CLOCK, java.time.Duration.ofSeconds(60)));
    later.record("c1", outcome.acl());
    assertThat(later.authorize(c1, AuthzAction.publish(0, false), "up/c1"))
        .isEqualTo(AuthzResult.DENY);
    // A later JWT login without an ACL removes it; forget removes it too.
    auth.verify(withPassword(sign("HS256", claims(NOW + 60), secret(SECRET))));
    assertThat(store.get("c1")).isNull();
  }

  @Test
  void ruleListAclClaim() throws Exception {
    JwtAclStore store = new JwtAclStore(CLOCK);
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false), Map.of(), store);
    String acl = "[{\"permission\":\"allow\",\"action\":\"pub\",\"topic\":\"${username}/#\","
        + "\"qos\":[0,1],\"retain\":false},"
        + "{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"eq t/#\"},"
        + "{\"permission\":\"deny\",\"action\":\"all\",\"topics\":[\"#\"]}]";
    assertThat(auth.authenticate(withPassword(sign("HS256", "{\"acl\":" + acl + "}",
        secret(SECRET))))).isEqualTo(AuthnResult.allow(false));
    AuthzClient c1 = new AuthzClient("c1", "u1", null, false);
    assertThat(store.authorize(c1, AuthzAction.publish(1, false), "u1/a"))
        .isEqualTo(AuthzResult.ALLOW);
    assertThat(store.authorize(c1, AuthzAction.publish(2, false), "u1/a"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(store.authorize(c1, AuthzAction.publish(1, true), "u1/a"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(store.authorize(c1, AuthzAction.subscribe(0), "t/#"))
        .isEqualTo(AuthzResult.ALLOW);
    assertThat(store.authorize(c1, AuthzAction.subscribe(0), "t/a"))
        .isEqualTo(AuthzResult.DENY);
    store.forget("c1");
    assertThat(store.authorize(c1, AuthzAction.subscribe(0), "t/#"))
        .isEqualTo(AuthzResult.NOMATCH);
  }

  @Test
  void malformedAclClaimIsDenied() throws Exception {
    JwtAuthenticator auth = jwt(JwtKeySource.hmac("k", SECRET, false));
    assertThat(auth.authenticate(withPassword(sign("HS256",
        "{\"acl\":[{\"permission\":\"maybe\",\"action\":\"pub\",\"topic\":\"t\"}]}",
        secret(SECRET))))).isInstanceOf(AuthnResult.Deny.class);
    assertThat(auth.authenticate(withPassword(sign("HS256", "{\"acl\":\"all\"}",
        secret(SECRET))))).isInstanceOf(AuthnResult.Deny.class);
  }

  @Test
  void badKeyConfigurationIsAClearErrorWithoutTheSecret() {
    assertThatThrownBy(() -> JwtKeySource.hmac("authentication.1.secret", "", false))
        .hasMessageContaining("authentication.1.secret");
    assertThatThrownBy(() -> JwtKeySource.hmac("authentication.1.secret", "not*base64!", true))
        .hasMessageContaining("secret_base64_encoded").hasMessageNotContaining("not*base64!");
    assertThatThrownBy(() -> JwtKeySource.publicKey("authentication.1.public_key", "hello"))
        .hasMessageContaining("authentication.1.public_key").hasMessageContaining("PUBLIC KEY");
  }
}

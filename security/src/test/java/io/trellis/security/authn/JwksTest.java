package io.trellis.security.authn;

import static io.trellis.security.authn.JwtTestTokens.b64;
import static io.trellis.security.authn.JwtTestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import io.trellis.security.ssrf.SsrfRefusedException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** JWKS fetched from a real local HTTP server through the SSRF-guarded client. */
class JwksTest {

  static final SsrfPolicy LOOPBACK_ALLOWED = SsrfPolicy.builder().enable(true)
      .allowCidrs(List.of("127.0.0.1/32")).build();
  /** The default deny list, switched on. */
  static final SsrfPolicy DEFAULT_DENY_LIST = SsrfPolicy.builder().enable(true).build();

  LocalHttpServer server;
  SsrfPolicyHolder policy;
  OutboundHttpClient client;
  KeyPair rsa;
  KeyPair ec;

  @BeforeEach
  void setUp() throws Exception {
    server = new LocalHttpServer();
    policy = new SsrfPolicyHolder(LOOPBACK_ALLOWED);
    client = new OutboundHttpClient(policy, HostResolver.system(), null);
    rsa = JwtTestTokens.rsa();
    ec = JwtTestTokens.ec("secp256r1");
    String jwks = "{\"keys\":[" + rsaJwk("rsa-1", (RSAPublicKey) rsa.getPublic()) + ","
        + ecJwk("ec-1", (ECPublicKey) ec.getPublic()) + ","
        + "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}";
    server.answer(LocalHttpServer.Answer.json(200, jwks));
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  static String unsigned(BigInteger n, int length) {
    byte[] bytes = n.toByteArray();
    if (bytes.length > length) {
      bytes = Arrays.copyOfRange(bytes, bytes.length - length, bytes.length);
    } else if (bytes.length < length) {
      byte[] padded = new byte[length];
      System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
      bytes = padded;
    }
    return b64(bytes);
  }

  static String rsaJwk(String kid, RSAPublicKey key) {
    return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\""
        + unsigned(key.getModulus(), (key.getModulus().bitLength() + 7) / 8) + "\",\"e\":\""
        + b64(key.getPublicExponent().toByteArray()) + "\"}";
  }

  static String ecJwk(String kid, ECPublicKey key) {
    return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"P-256\",\"x\":\""
        + unsigned(key.getW().getAffineX(), 32) + "\",\"y\":\""
        + unsigned(key.getW().getAffineY(), 32) + "\"}";
  }

  static ConnectInfo withPassword(String token) {
    return new ConnectInfo("c1", "u1", token.getBytes(StandardCharsets.UTF_8), null, null, null,
        null);
  }

  @Test
  void keysFromTheEndpointVerifyTokens() throws Exception {
    try (Jwks jwks = new Jwks("authentication.1", server.url("/jwks"), Duration.ofMinutes(5),
        client)) {
      assertThat(jwks.refresh().get(10, TimeUnit.SECONDS)).isEqualTo(2);
      assertThat(server.seen()).hasSize(1);
      assertThat(server.seen().get(0).method()).isEqualTo("GET");
      assertThat(server.seen().get(0).pathAndQuery()).isEqualTo("/jwks");

      JwtAuthenticator auth = new JwtAuthenticator("authentication.1",
          JwtAuthenticator.From.PASSWORD, jwks, Map.of(), null, null, Clock.systemUTC());
      String rsaToken = sign("RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", "{\"sub\":\"u1\"}",
          rsa.getPrivate());
      assertThat(auth.authenticate(withPassword(rsaToken))).isEqualTo(AuthnResult.allow(false));
      String ecToken = sign("ES256", "{\"sub\":\"u1\"}", ec.getPrivate());
      assertThat(auth.authenticate(withPassword(ecToken))).isEqualTo(AuthnResult.allow(false));
      // The RSA key is published for RS256 only, and a kid picks only its own key.
      String rs512 = sign("RS512", "{\"sub\":\"u1\"}", rsa.getPrivate());
      assertThat(auth.authenticate(withPassword(rs512))).isEqualTo(AuthnResult.IGNORE);
      String wrongKid = sign("RS256", "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", "{\"sub\":\"u1\"}",
          rsa.getPrivate());
      assertThat(auth.authenticate(withPassword(wrongKid))).isEqualTo(AuthnResult.IGNORE);
      // The oct key in the set is never an HMAC secret.
      String hs = sign("HS256", "{\"sub\":\"u1\"}", JwtTestTokens.secret("secret"));
      assertThat(auth.authenticate(withPassword(hs))).isEqualTo(AuthnResult.IGNORE);
    }
  }

  @Test
  void anUnknownKidFetchesTheRotatedSetOnce() throws Exception {
    try (Jwks jwks = new Jwks("a", server.url("/jwks"), null, client)) {
      jwks.start();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> jwks.size() == 2);
      KeyPair rotated = JwtTestTokens.ec("secp256r1");
      server.answer(LocalHttpServer.Answer.json(200, "{\"keys\":["
          + ecJwk("ec-2", (ECPublicKey) rotated.getPublic()) + "]}"));
      JwtAuthenticator auth = new JwtAuthenticator("a", JwtAuthenticator.From.PASSWORD, jwks,
          Map.of(), null, null, Clock.systemUTC());
      String token = sign("ES256", "{\"alg\":\"ES256\",\"kid\":\"ec-2\"}", "{}",
          rotated.getPrivate());
      assertThat(auth.authenticate(withPassword(token))).isEqualTo(AuthnResult.IGNORE);
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> auth.authenticate(withPassword(token)).allowed());
      assertThat(server.seen()).hasSize(2);
      // Made-up kids do not cause more fetches within the interval.
      String madeUp = sign("ES256", "{\"alg\":\"ES256\",\"kid\":\"nope\"}", "{}",
          rotated.getPrivate());
      for (int i = 0; i < 5; i++) {
        assertThat(auth.authenticate(withPassword(madeUp))).isEqualTo(AuthnResult.IGNORE);
      }
      assertThat(jwks.kidMissFetches()).isEqualTo(1);
    }
  }

  @Test
  void beforeTheFirstFetchTokensAreIgnored() throws Exception {
    try (Jwks jwks = new Jwks("a", server.url("/jwks"), null, client)) {
      JwtAuthenticator auth = new JwtAuthenticator("a", JwtAuthenticator.From.PASSWORD, jwks,
          Map.of(), null, null, Clock.systemUTC());
      String ecToken = sign("ES256", "{\"sub\":\"u1\"}", ec.getPrivate());
      assertThat(auth.authenticate(withPassword(ecToken))).isEqualTo(AuthnResult.IGNORE);
      jwks.start();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> jwks.size() == 2);
      assertThat(auth.authenticate(withPassword(ecToken))).isEqualTo(AuthnResult.allow(false));
    }
  }

  @Test
  void theEndpointIsRefusedAtConfigurationUnderTheDenyList() {
    policy.set(DEFAULT_DENY_LIST);
    assertThatThrownBy(() -> new Jwks("authentication.1", server.url("/jwks"), null, client))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("authentication.1.endpoint")
        .hasMessageContaining("rule_engine.ssrf");
    assertThat(server.seen()).isEmpty();
  }

  @Test
  void aPolicyChangeRefusesTheNextFetchAndKeepsTheKeys() throws Exception {
    try (Jwks jwks = new Jwks("a", server.url("/jwks"), null, client)) {
      assertThat(jwks.refresh().get(10, TimeUnit.SECONDS)).isEqualTo(2);
      policy.set(DEFAULT_DENY_LIST);
      assertThatThrownBy(() -> jwks.refresh().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SsrfRefusedException.class);
      assertThat(server.seen()).hasSize(1);
      assertThat(jwks.size()).isEqualTo(2);
    }
  }

  @Test
  void aBrokenAnswerKeepsTheKeys() throws Exception {
    try (Jwks jwks = new Jwks("a", server.url("/jwks"), null, client)) {
      jwks.refresh().get(10, TimeUnit.SECONDS);
      server.answer(LocalHttpServer.Answer.json(500, "{}"));
      assertThatThrownBy(() -> jwks.refresh().get(10, TimeUnit.SECONDS))
          .hasMessageContaining("HTTP 500");
      server.answer(LocalHttpServer.Answer.json(200, "{\"no\":\"keys\"}"));
      assertThatThrownBy(() -> jwks.refresh().get(10, TimeUnit.SECONDS))
          .hasMessageContaining("\"keys\"");
      assertThat(jwks.size()).isEqualTo(2);
    }
  }
}

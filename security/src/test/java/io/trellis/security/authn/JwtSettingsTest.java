package io.trellis.security.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.config.Secret;
import io.trellis.security.http.OutboundHttpClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code mechanism = jwt} entry's fields, as EMQX names them, to an authenticator. */
class JwtSettingsTest {

  static JwtSettings hmac(String secret) {
    return new JwtSettings(false, "hmac-based", secret == null ? null : new Secret(secret), false,
        null, null, null, "password", "acl", true, Map.of());
  }

  static ConnectInfo withPassword(String token) {
    return new ConnectInfo("c", "u", token.getBytes(StandardCharsets.UTF_8), null, null, null,
        null);
  }

  @Test
  void hmacBased() throws Exception {
    JwtAuthenticator auth = hmac("s3cr3t-value").build("authentication[1]", null, null,
        Clock.systemUTC());
    assertThat(auth.authenticate(withPassword(JwtTestTokens.sign("HS256", "{}",
        JwtTestTokens.secret("s3cr3t-value"))))).isEqualTo(AuthnResult.allow(false));
    assertThat(auth.disconnectAfterExpire()).isTrue();
  }

  @Test
  void publicKeyFromUsername() throws Exception {
    KeyPair rsa = JwtTestTokens.rsa();
    JwtAuthenticator auth = new JwtSettings(false, "public-key", null, false,
        JwtTestTokens.pem(rsa.getPublic()), null, null, "username", null, false, null)
        .build("authentication[1]", null, null, Clock.systemUTC());
    String token = JwtTestTokens.sign("RS256", "{}", rsa.getPrivate());
    assertThat(auth.authenticate(new ConnectInfo("c", token, null, null, null, null, null)))
        .isEqualTo(AuthnResult.allow(false));
    assertThat(auth.disconnectAfterExpire()).isFalse();
  }

  @Test
  void errorsNameTheFieldAndHideTheSecret() {
    assertThatThrownBy(() -> hmac(null).build("authentication[1]", null, null, Clock.systemUTC()))
        .hasMessageContaining("authentication[1].secret");
    assertThatThrownBy(() -> new JwtSettings(false, "hmac-based", new Secret("%%not-b64%%"), true,
        null, null, null, null, null, true, null).build("authentication[1]", null, null,
        Clock.systemUTC()))
        .hasMessageContaining("authentication[1].secret").hasMessageNotContaining("not-b64");
    assertThatThrownBy(() -> new JwtSettings(false, "public-key", null, false, null, null, null,
        null, null, true, null).build("authentication[1]", null, null, Clock.systemUTC()))
        .hasMessageContaining("authentication[1].public_key");
    assertThatThrownBy(() -> new JwtSettings(false, "rsa", null, false, null, null, null,
        null, null, true, null).build("authentication[1]", null, null, Clock.systemUTC()))
        .hasMessageContaining("authentication[1].algorithm").hasMessageContaining("public-key");
    assertThatThrownBy(() -> new JwtSettings(true, null, null, false, null, null, null,
        null, null, true, null).build("authentication[1]", null, null, Clock.systemUTC()))
        .hasMessageContaining("authentication[1].endpoint");
    assertThatThrownBy(() -> new JwtSettings(false, null, new Secret("x"), false, null, null,
        null, "token", null, true, null).build("authentication[1]", null, null, Clock.systemUTC()))
        .hasMessageContaining("authentication[1].from");
    assertThat(hmac("hidden-value").toString()).doesNotContain("hidden-value");
  }

  @Test
  void jwksIsFetchedAtBuildAndEveryRefreshInterval() throws Exception {
    KeyPair ec = JwtTestTokens.ec("secp256r1");
    try (LocalHttpServer server = new LocalHttpServer();
        OutboundHttpClient client = new OutboundHttpClient(
            new io.trellis.security.ssrf.SsrfPolicyHolder(JwksTest.LOOPBACK_ALLOWED),
            io.trellis.security.ssrf.HostResolver.system(), null)) {
      server.answer(LocalHttpServer.Answer.json(200, "{\"keys\":["
          + JwksTest.ecJwk("k1", (java.security.interfaces.ECPublicKey) ec.getPublic()) + "]}"));
      try (JwtAuthenticator auth = new JwtSettings(true, null, null, false, null,
          server.url("/jwks"), Duration.ofMillis(200), null, null, true, null)
          .build("authentication[1]", client, null, Clock.systemUTC())) {
        String token = JwtTestTokens.sign("ES256", "{}", ec.getPrivate());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> auth.authenticate(withPassword(token)).allowed());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> server.seen().size() >= 3);
      }
    }
  }
}

package io.trellis.security.authn;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.handler.ssl.SslContextBuilder;
import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTPS to a backend with a private CA: the certificate and the host name are verified. */
class OutboundHttpsTest {

  CertificateAuthority ca;
  HttpsServer server;
  AtomicInteger requests = new AtomicInteger();
  OutboundHttpClient client;

  @BeforeEach
  void setUp() throws Exception {
    ca = CertificateAuthority.create("test-ca", KeyPairs.ecP256(), Duration.ofDays(1));
    client = new OutboundHttpClient(new SsrfPolicyHolder(JwksTest.LOOPBACK_ALLOWED),
        HostResolver.system(), null,
        SslContextBuilder.forClient().trustManager(ca.certificate()).build());
  }

  @AfterEach
  void tearDown() {
    client.close();
    if (server != null) {
      server.stop(0);
    }
  }

  void serve(List<String> sans) throws Exception {
    KeyPair leafKey = KeyPairs.ecP256();
    X509Certificate leaf = ca.issue("backend", sans, leafKey, Duration.ofDays(1),
        CertificateAuthority.Usage.SERVER);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pass = "x".toCharArray();
    ks.setKeyEntry("leaf", leafKey.getPrivate(), pass, new Certificate[] {leaf, ca.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      exchange.getRequestBody().readAllBytes();
      byte[] out = "{\"result\":\"allow\",\"is_superuser\":true}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, out.length);
      exchange.getResponseBody().write(out);
      exchange.close();
    });
    server.start();
  }

  HttpAuthenticator auth() {
    return new HttpAuthenticator("authentication.3", HttpRequestTemplate.Method.POST,
        "https://127.0.0.1:" + server.getAddress().getPort() + "/auth", Map.of(), null, null,
        client);
  }

  static ConnectInfo connect() {
    return new ConnectInfo("c", "u", "p".getBytes(StandardCharsets.UTF_8), null, null, null,
        null);
  }

  @Test
  void aTrustedCertificateForTheHostIsAccepted() throws Exception {
    serve(List.of("127.0.0.1"));
    assertThat(auth().authenticateAsync(connect()).get(10, TimeUnit.SECONDS))
        .isEqualTo(AuthnResult.allow(true));
    assertThat(requests).hasValue(1);
  }

  @Test
  void aCertificateForAnotherHostIsRefused() throws Exception {
    serve(List.of("backend.example"));
    assertThat(auth().authenticateAsync(connect()).get(10, TimeUnit.SECONDS))
        .isEqualTo(AuthnResult.IGNORE);
    assertThat(requests).hasValue(0);
  }
}

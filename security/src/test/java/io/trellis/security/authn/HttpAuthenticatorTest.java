package io.trellis.security.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The HTTP authentication backend against a real local HTTP server. */
class HttpAuthenticatorTest {

  static final String PASSWORD = "pw-\"quoted\"-Sesame-9431";

  LocalHttpServer server;
  SsrfPolicyHolder policy;
  OutboundHttpClient client;
  ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void setUp() throws Exception {
    server = new LocalHttpServer();
    policy = new SsrfPolicyHolder(JwksTest.LOOPBACK_ALLOWED);
    client = new OutboundHttpClient(policy, HostResolver.system(), null);
    logs = new ListAppender<>();
    logs.start();
    root().addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    root().detachAppender(logs);
    client.close();
    server.close();
  }

  static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  HttpAuthenticator post(Map<String, String> body, Duration timeout) {
    return new HttpAuthenticator("authentication.2", HttpRequestTemplate.Method.POST,
        server.url("/auth"), Map.of("x-api-key", "k1"), body, timeout, client);
  }

  static ConnectInfo connect() throws Exception {
    return new ConnectInfo("client-1", "alice", PASSWORD.getBytes(StandardCharsets.UTF_8),
        InetAddress.getByName("10.1.2.3"), "ssl:default", "alice-cn", "CN=alice-cn,O=Acme");
  }

  AuthnResult answer(int status, String body) throws Exception {
    server.answer(LocalHttpServer.Answer.json(status, body));
    return post(null, null).authenticateAsync(connect()).get(10, TimeUnit.SECONDS);
  }

  @Test
  void theServiceDecides() throws Exception {
    assertThat(answer(200, "{\"result\":\"allow\"}")).isEqualTo(AuthnResult.allow(false));
    assertThat(answer(200, "{\"result\":\"allow\",\"is_superuser\":true}"))
        .isEqualTo(AuthnResult.allow(true));
    assertThat(answer(200, "{\"result\":\"deny\"}")).isInstanceOf(AuthnResult.Deny.class);
    assertThat(answer(200, "{\"result\":\"ignore\"}")).isEqualTo(AuthnResult.IGNORE);
    assertThat(answer(204, "")).isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void failuresAreIgnore() throws Exception {
    assertThat(answer(500, "{\"result\":\"allow\"}")).isEqualTo(AuthnResult.IGNORE);
    assertThat(answer(403, "{\"result\":\"allow\"}")).isEqualTo(AuthnResult.IGNORE);
    assertThat(answer(200, "not json")).isEqualTo(AuthnResult.IGNORE);
    assertThat(answer(200, "{\"result\":\"perhaps\"}")).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void redirectsAreNotFollowed() throws Exception {
    server.answer(new LocalHttpServer.Answer(302, "", Map.of("location", server.url("/other")),
        false));
    assertThat(post(null, null).authenticate(connect())).isEqualTo(AuthnResult.IGNORE);
    assertThat(server.seen()).hasSize(1);
  }

  @Test
  void noAnswerWithinTheRequestTimeoutIsIgnore() throws Exception {
    server.answer(LocalHttpServer.Answer.hanging());
    HttpAuthenticator auth = post(null, Duration.ofMillis(300));
    assertThat(auth.authenticateAsync(connect()).get(10, TimeUnit.SECONDS))
        .isEqualTo(AuthnResult.IGNORE);
    // The sync form gives the same, for callers off the event loop.
    assertThat(auth.authenticate(connect())).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void theBodyTemplateIsRenderedAsJson() throws Exception {
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"allow\"}"));
    Map<String, String> body = new java.util.LinkedHashMap<>();
    body.put("u", "${username}");
    body.put("c", "${clientid}");
    body.put("p", "${password}");
    body.put("ip", "${peerhost}");
    body.put("cn", "${cert_common_name}");
    body.put("dn", "${cert_subject}");
    body.put("mixed", "user=${username};client=${clientid}");
    post(body, null).authenticate(connect());
    LocalHttpServer.Seen seen = server.seen().get(0);
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.pathAndQuery()).isEqualTo("/auth");
    assertThat(seen.header("content-type")).isEqualTo("application/json");
    assertThat(seen.header("x-api-key")).isEqualTo("k1");
    JsonNode json = new ObjectMapper().readTree(seen.body());
    assertThat(json.get("u").asText()).isEqualTo("alice");
    assertThat(json.get("c").asText()).isEqualTo("client-1");
    assertThat(json.get("p").asText()).isEqualTo(PASSWORD);
    assertThat(json.get("ip").asText()).isEqualTo("10.1.2.3");
    assertThat(json.get("cn").asText()).isEqualTo("alice-cn");
    assertThat(json.get("dn").asText()).isEqualTo("CN=alice-cn,O=Acme");
    assertThat(json.get("mixed").asText()).isEqualTo("user=alice;client=client-1");
  }

  @Test
  void getSendsTheFieldsAsQueryParameters() throws Exception {
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"allow\"}"));
    HttpAuthenticator auth = new HttpAuthenticator("authentication.2",
        HttpRequestTemplate.Method.GET, server.url("/auth/${clientid}?v=1"), null,
        Map.of("user", "${username}"), null, client);
    ConnectInfo c = new ConnectInfo("a b/c", "x&y=z", null, null, null, null, null);
    assertThat(auth.authenticate(c)).isEqualTo(AuthnResult.allow(false));
    LocalHttpServer.Seen seen = server.seen().get(0);
    assertThat(seen.method()).isEqualTo("GET");
    assertThat(seen.pathAndQuery()).isEqualTo("/auth/a%20b%2Fc?v=1&user=x%26y%3Dz");
  }

  @Test
  void formBody() throws Exception {
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"allow\"}"));
    new HttpAuthenticator("a", HttpRequestTemplate.Method.POST, server.url("/auth"),
        Map.of("Content-Type", "application/x-www-form-urlencoded"),
        Map.of("username", "${username}"), null, client).authenticate(connect());
    assertThat(server.seen().get(0).body()).isEqualTo("username=alice");
  }

  @Test
  void thePasswordIsNeverLogged() throws Exception {
    Map<String, String> body = Map.of("password", "${password}");
    HttpAuthenticator auth = new HttpAuthenticator("a", HttpRequestTemplate.Method.GET,
        server.url("/auth?p=${password}"), null, body, Duration.ofMillis(300), client);
    server.answer(LocalHttpServer.Answer.json(500, "{}"));
    auth.authenticate(connect());
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"bogus\"}"));
    auth.authenticate(connect());
    server.answer(LocalHttpServer.Answer.hanging());
    auth.authenticate(connect());
    policy.set(JwksTest.DEFAULT_DENY_LIST);
    auth.authenticate(connect());
    assertThat(logs.list).hasSizeGreaterThanOrEqualTo(4);
    for (ILoggingEvent e : logs.list) {
      String text = e.getFormattedMessage()
          + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()));
      assertThat(text).doesNotContain("Sesame");
    }
    assertThat(connect().toString()).doesNotContain("Sesame");
  }

  @Test
  void theUrlIsSsrfCheckedAtConfigurationAndAtEveryConnect() throws Exception {
    policy.set(JwksTest.DEFAULT_DENY_LIST);
    assertThatThrownBy(() -> post(null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("authentication.2.url")
        .hasMessageContaining("rule_engine.ssrf");
    policy.set(JwksTest.LOOPBACK_ALLOWED);
    HttpAuthenticator auth = post(null, null);
    policy.set(JwksTest.DEFAULT_DENY_LIST);
    assertThat(auth.authenticateAsync(connect()).get(10, TimeUnit.SECONDS))
        .isEqualTo(AuthnResult.IGNORE);
    assertThat(server.seen()).isEmpty();
    // Under EMQX's default (the policy off), loopback is reachable.
    policy.set(SsrfPolicy.defaults());
    assertThat(auth.authenticate(connect())).isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void badConfigurationNamesTheKey() {
    assertThatThrownBy(() -> new HttpAuthenticator("authentication.2",
        HttpRequestTemplate.Method.POST, "ftp://example.com/", null, null, null, client))
        .hasMessageContaining("authentication.2.url").hasMessageContaining("http or https");
    assertThatThrownBy(() -> new HttpAuthenticator("authentication.2",
        HttpRequestTemplate.Method.POST, "http://${username}.example.com/", null, null, null,
        client)).hasMessageContaining("not in the host");
    assertThatThrownBy(() -> new HttpAuthenticator("authentication.2",
        HttpRequestTemplate.Method.POST, server.url("/auth"), null, Map.of("x", "${topic}"), null,
        client)).hasMessageContaining("authentication.2.body.x")
        .hasMessageContaining("${topic}");
    assertThatThrownBy(() -> HttpRequestTemplate.methodFromConfig("put", "authentication.2.method"))
        .hasMessageContaining("authentication.2.method").hasMessageContaining("post | get");
    assertThat(List.of(HttpRequestTemplate.Method.values())).hasSize(2);
  }
}

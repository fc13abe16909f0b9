package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.security.authn.HttpRequestTemplate;
import io.trellis.security.authn.LocalHttpServer;
import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP authorization source against a real local HTTP server. */
class HttpAuthzSourceTest {

  static final SsrfPolicy LOOPBACK_ALLOWED = SsrfPolicy.builder().enable(true)
      .allowCidrs(List.of("127.0.0.1/32")).build();

  LocalHttpServer server;
  SsrfPolicyHolder policy;
  OutboundHttpClient client;
  AuthzClient who;

  @BeforeEach
  void setUp() throws Exception {
    server = new LocalHttpServer();
    policy = new SsrfPolicyHolder(LOOPBACK_ALLOWED);
    client = new OutboundHttpClient(policy, HostResolver.system(), null);
    who = new AuthzClient("client-1", "alice", InetAddress.getByName("10.1.2.3"), false);
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.close();
  }

  HttpAuthzSource source(Duration timeout) {
    return new HttpAuthzSource("authorization.sources.2", HttpRequestTemplate.Method.POST,
        server.url("/acl"), null, Map.of("username", "${username}", "clientid", "${clientid}",
            "peerhost", "${peerhost}", "topic", "${topic}", "action", "${action}", "qos",
            "${qos}", "retain", "${retain}"), timeout, client);
  }

  AuthzResult answer(int status, String body) throws Exception {
    server.answer(LocalHttpServer.Answer.json(status, body));
    return source(null).authorizeAsync(who, AuthzAction.publish(1, true), "t/1")
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void theServiceDecides() throws Exception {
    assertThat(answer(200, "{\"result\":\"allow\"}")).isEqualTo(AuthzResult.ALLOW);
    assertThat(answer(200, "{\"result\":\"deny\"}")).isEqualTo(AuthzResult.DENY);
    assertThat(answer(200, "{\"result\":\"ignore\"}")).isEqualTo(AuthzResult.NOMATCH);
    assertThat(answer(204, "")).isEqualTo(AuthzResult.ALLOW);
  }

  @Test
  void failuresAreIgnore() throws Exception {
    assertThat(answer(500, "{\"result\":\"allow\"}")).isEqualTo(AuthzResult.NOMATCH);
    assertThat(answer(200, "[]")).isEqualTo(AuthzResult.NOMATCH);
    server.answer(LocalHttpServer.Answer.hanging());
    assertThat(source(Duration.ofMillis(300)).authorize(who, AuthzAction.subscribe(0), "t/#"))
        .isEqualTo(AuthzResult.NOMATCH);
  }

  @Test
  void placeholdersAreRendered() throws Exception {
    answer(200, "{\"result\":\"allow\"}");
    JsonNode json = new ObjectMapper().readTree(server.seen().get(0).body());
    assertThat(json.get("username").asText()).isEqualTo("alice");
    assertThat(json.get("clientid").asText()).isEqualTo("client-1");
    assertThat(json.get("peerhost").asText()).isEqualTo("10.1.2.3");
    assertThat(json.get("topic").asText()).isEqualTo("t/1");
    assertThat(json.get("action").asText()).isEqualTo("publish");
    assertThat(json.get("qos").asText()).isEqualTo("1");
    assertThat(json.get("retain").asText()).isEqualTo("true");

    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"deny\"}"));
    HttpAuthzSource get = new HttpAuthzSource("s", HttpRequestTemplate.Method.GET,
        server.url("/acl/${action}?topic=${topic}"), null, null, null, client);
    assertThat(get.authorize(who, AuthzAction.subscribe(2), "a/+/#"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(server.seen().get(1).pathAndQuery()).isEqualTo("/acl/subscribe?topic=a%2F%2B%2F%23");
  }

  @Test
  void inTheAuthorizerAnIgnoreFallsThroughToTheNextSource() throws Exception {
    server.answer(LocalHttpServer.Answer.json(500, "{}"));
    Authorizer authorizer = new Authorizer(List.of(source(null),
        (AuthzSource) (c, a, t) -> AuthzResult.ALLOW));
    assertThat(authorizer.authorize(who, AuthzAction.publish(0, false), "t/1"))
        .isEqualTo(AuthzResult.ALLOW);
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"deny\"}"));
    assertThat(authorizer.authorize(who, AuthzAction.publish(0, false), "t/1"))
        .isEqualTo(AuthzResult.DENY);
  }

  @Test
  void aSynchronousCallOnTheClientsOwnLoopDoesNotDeadlock() throws Exception {
    server.answer(LocalHttpServer.Answer.json(200, "{\"result\":\"allow\"}"));
    HttpAuthzSource source = source(Duration.ofSeconds(30));
    AuthzResult onLoop = client.group().next()
        .submit(() -> source.authorize(who, AuthzAction.publish(0, false), "t"))
        .get(10, TimeUnit.SECONDS);
    assertThat(onLoop).isEqualTo(AuthzResult.NOMATCH);
    assertThat(source.authorize(who, AuthzAction.publish(0, false), "t"))
        .isEqualTo(AuthzResult.ALLOW);
  }

  @Test
  void theUrlIsSsrfChecked() throws Exception {
    policy.set(SsrfPolicy.builder().enable(true).build());
    assertThatThrownBy(() -> source(null)).hasMessageContaining("authorization.sources.2.url")
        .hasMessageContaining("rule_engine.ssrf");
    policy.set(LOOPBACK_ALLOWED);
    HttpAuthzSource source = source(null);
    policy.set(SsrfPolicy.builder().enable(true).build());
    assertThat(source.authorize(who, AuthzAction.publish(0, false), "t")).isEqualTo(
        AuthzResult.NOMATCH);
    assertThat(server.seen()).isEmpty();
  }
}

package io.trellis.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.trellis.config.Secret;
import io.trellis.rules.action.RetryPolicy;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.EngineState;
import io.trellis.rules.api.Json;
import io.trellis.rules.api.RuleBody;
import io.trellis.rules.api.RuleTestBody;
import io.trellis.rules.connector.ConnectorStatus.State;
import io.trellis.rules.testing.RecordingHttpServer;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RuleEngineHttpTest {

    private static final SsrfPolicy ALLOW_LOOPBACK = SsrfPolicy.builder().enable(true).allowCidrs(List.of("127.0.0.1/32")).build();
    private static final SsrfPolicy DEFAULT_DENY = SsrfPolicy.builder().enable(true).build();

    private final SsrfPolicyHolder policy = new SsrfPolicyHolder(ALLOW_LOOPBACK);
    private final List<String> republished = new CopyOnWriteArrayList<>();
    private RecordingHttpServer server;
    private RuleEngine engine;

    @BeforeEach
    void start() throws Exception {
        server = new RecordingHttpServer();
        engine = RuleEngine.builder().ssrfPolicy(policy)
                .retryPolicy(new RetryPolicy(100, 4, 2, Duration.ofMillis(10), Duration.ofMillis(50)))
                .republisher((topic, payload, qos, retain, props) ->
                        republished.add(topic + " " + new String(payload, StandardCharsets.UTF_8) + " q" + qos + " r" + retain))
                .build();
    }

    @AfterEach
    void stop() {
        engine.close();
        server.close();
    }

    private static ConnectorBody http(String name, String url) {
        return new ConnectorBody("http", name, null, null, url, Map.of("X-Static", "yes"), 4, "2s", "5s",
                null, null, null, null, null, null);
    }

    private static ActionBody webhook(String name, String connector, String path, String body) {
        return new ActionBody("http", name, connector, null, null,
                new ActionBody.Parameters("post", path, Map.of("X-Topic", "${topic}"), body, null, null, null, null), null);
    }

    private static RuleInput msg(String topic, String payload) {
        return new RuleInput("id1", topic, payload.getBytes(StandardCharsets.UTF_8), 1, false, "c1", "alice", "10.1.1.1",
                1_700_000_000_000L, Map.of());
    }

    @Test
    void webhookSendsTheRenderedRequestToARealServer() throws Exception {
        engine.createConnector(http("hooks", server.url("/hook")));
        engine.createAction(webhook("temp", "hooks", "/${clientid}", "{\"t\": ${payload.temp}}"));
        engine.createRule(new RuleBody("r1", null, "SELECT payload, clientid, topic FROM \"sensors/#\" WHERE payload.temp > 20",
                List.of("http:temp"), null, null));

        engine.onMessagePublished(msg("sensors/1", "{\"temp\": 21.5}"));
        engine.onMessagePublished(msg("sensors/1", "{\"temp\": 10}"));
        engine.onMessagePublished(msg("other/1", "{\"temp\": 30}"));

        RecordingHttpServer.Request req = server.requests.poll(10, TimeUnit.SECONDS);
        assertThat(req).isNotNull();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.path()).isEqualTo("/hook/c1");
        assertThat(req.headers()).containsEntry("X-Topic", "sensors/1").containsEntry("X-Static", "yes")
                .containsEntry("Content-Type", "application/json");
        assertThat(req.body()).isEqualTo("{\"t\": 21.5}");

        await().untilAsserted(() -> assertThat(engine.rule("r1").metrics())
                .containsEntry("matched", 2L).containsEntry("passed", 1L).containsEntry("failed.no_result", 1L)
                .containsEntry("actions.success", 1L).containsEntry("actions.failed", 0L));
        assertThat(engine.action("http:temp").metrics()).containsEntry("success", 1L).containsEntry("matched", 1L);
        await().until(() -> engine.connector("http:hooks").status().state() == State.CONNECTED);
        assertThat(engine.connector("http:hooks").metrics()).containsEntry("success", 1L);
        assertThat(server.requests).isEmpty();
    }

    @Test
    void sequentialWebhooksShareOneKeptAliveConnection() throws Exception {
        engine.createConnector(http("hooks", server.url("/hook")));
        engine.createAction(webhook("temp", "hooks", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:temp"), null, null));

        for (long i = 1; i <= 5; i++) {
            engine.onMessagePublished(msg("t", "{}"));
            long sent = i;
            await().untilAsserted(() -> assertThat(engine.action("http:temp").metrics()).containsEntry("success", sent));
        }
        assertThat(server.requests).hasSize(5);
        assertThat(server.clientAddresses).hasSize(1);
    }

    @Test
    void emptyBodyTemplateSendsAllSelectedFieldsAsJson() throws Exception {
        engine.createConnector(http("hooks", server.url("")));
        engine.createAction(webhook("all", "hooks", null, null));
        engine.createRule(new RuleBody("r1", null, "SELECT payload.a as a, qos FROM \"t\"", List.of("http:all"), null, null));

        engine.onMessagePublished(msg("t", "{\"a\": \"x\"}"));

        RecordingHttpServer.Request req = server.requests.poll(10, TimeUnit.SECONDS);
        assertThat(req).isNotNull();
        assertThat(Json.MAPPER.readValue(req.body(), Map.class)).isEqualTo(Map.of("a", "x", "qos", 1));
        assertThat(req.path()).isEqualTo("/");
    }

    @Test
    void theDefaultSsrfPolicyRefusesALoopbackWebhookAndNothingConnects() throws Exception {
        policy.set(DEFAULT_DENY);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener.configureBlocking(false);
            String url = "http://127.0.0.1:" + listener.socket().getLocalPort() + "/hook";
            assertThatThrownBy(() -> engine.createConnector(http("hooks", url))).isInstanceOf(ConnectorTargetDeniedException.class);
            assertThatThrownBy(() -> engine.testConnector(http("hooks", url))).isInstanceOf(ConnectorTargetDeniedException.class);
            assertThat(listener.accept()).as("a connection reached the listener").isNull();
        }

        assertThatThrownBy(() -> engine.createConnector(http("hooks", server.url("/hook"))))
                .isInstanceOf(ConnectorTargetDeniedException.class)
                .hasMessageContaining("127.0.0.1").hasMessageContaining("rule_engine.ssrf")
                .satisfies(e -> assertThat(((RuleConfigException) e).field()).isEqualTo("url"));
        assertThatThrownBy(() -> engine.testConnector(http("hooks", server.url("/hook"))))
                .isInstanceOf(ConnectorTargetDeniedException.class);
        assertThat(engine.listConnectors()).isEmpty();
        assertThat(server.connections).hasValue(0);
    }

    @Test
    void aPolicyChangeRefusesTheNextConnectWithoutRetryingAndNothingConnects() throws Exception {
        engine.createConnector(http("hooks", server.url("/hook")));
        await().until(() -> engine.connector("http:hooks").status().state() == State.CONNECTED);
        engine.createAction(webhook("temp", "hooks", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:temp"), null, null));
        policy.set(DEFAULT_DENY);

        engine.onMessagePublished(msg("t", "{}"));

        await().untilAsserted(() -> assertThat(engine.action("http:temp").metrics())
                .containsEntry("failed", 1L).containsEntry("dropped", 1L).containsEntry("retried", 0L).containsEntry("inflight", 0L));
        assertThat(engine.rule("r1").metrics()).containsEntry("actions.failed", 1L);
        assertThat(server.requests).isEmpty();
        RuleEngine.ConnectorInfo c = engine.connector("http:hooks");
        assertThat(c.status().state()).isEqualTo(State.DISCONNECTED);
        assertThat(c.status().reason()).contains("127.0.0.1").contains("rule_engine.ssrf");
    }

    @Test
    void aDeadEndpointIsRetriedWithBackoffThenDropped() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        engine.createConnector(http("dead", "http://127.0.0.1:" + deadPort + "/x"));
        engine.createAction(webhook("dead", "dead", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:dead"), null, null));

        engine.onMessagePublished(msg("t", "{}"));

        await().untilAsserted(() -> assertThat(engine.action("http:dead").metrics())
                .containsEntry("retried", 2L).containsEntry("failed", 1L).containsEntry("dropped", 1L)
                .containsEntry("success", 0L).containsEntry("inflight", 0L).containsEntry("queuing", 0L));
        assertThat(engine.rule("r1").metrics()).containsEntry("actions.failed", 1L);
        await().until(() -> engine.connector("http:dead").status().state() == State.DISCONNECTED);
        assertThat(engine.connector("http:dead").status().reason()).isNotBlank();
    }

    @Test
    void serverErrorsAreRetriedAndClientErrorsAreNot() throws Exception {
        engine.createConnector(http("hooks", server.url("")));
        engine.createAction(webhook("h", "hooks", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:h"), null, null));

        server.respondWith(503);
        engine.onMessagePublished(msg("t", "{}"));
        await().untilAsserted(() -> assertThat(engine.action("http:h").metrics()).containsEntry("failed", 1L).containsEntry("retried", 2L));
        assertThat(server.requests).hasSize(3);

        server.requests.clear();
        server.respondWith(400);
        engine.onMessagePublished(msg("t", "{}"));
        await().untilAsserted(() -> assertThat(engine.action("http:h").metrics()).containsEntry("failed", 2L));
        assertThat(engine.action("http:h").metrics()).containsEntry("retried", 2L);
        assertThat(server.requests).hasSize(1);

        server.requests.clear();
        server.respondWith(302);
        engine.onMessagePublished(msg("t", "{}"));
        await().untilAsserted(() -> assertThat(engine.action("http:h").metrics()).containsEntry("failed", 3L));
        assertThat(server.requests).hasSize(1); // the redirect was not followed
    }

    @Test
    void aSlowEndpointNeverBlocksThePublishPathAndAFullBufferDrops() throws Exception {
        CountDownLatch release = server.holdResponses();
        engine.createConnector(http("slow", server.url("")));
        engine.createAction(new ActionBody("http", "slow", "slow", null, null,
                new ActionBody.Parameters("post", "", null, "x", null, null, null, null), new ActionBody.ResourceOpts(1, 5, 0)));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:slow"), null, null));

        // every call returns while the server holds the first request: nothing waits for it
        for (int i = 0; i < 50; i++) engine.onMessagePublished(msg("t", "{}"));
        assertThat(release.getCount()).isEqualTo(1);

        await().untilAsserted(() -> assertThat(server.requests).hasSize(1));
        assertThat(engine.action("http:slow").metrics()).containsEntry("matched", 50L).containsEntry("inflight", 1L)
                .containsEntry("queuing", 5L).containsEntry("dropped", 44L).containsEntry("dropped.queue_full", 44L);

        release.countDown();
        await().untilAsserted(() -> assertThat(engine.action("http:slow").metrics()).containsEntry("success", 6L)
                .containsEntry("queuing", 0L).containsEntry("inflight", 0L));
        assertThat(engine.rule("r1").metrics()).containsEntry("actions.success", 6L).containsEntry("actions.failed", 44L);
    }

    @Test
    void aRequestWithoutAnAnswerTimesOut() throws Exception {
        server.holdResponses();
        engine.createConnector(new ConnectorBody("http", "mute", null, null, server.url(""), null, 1, "2s", "100ms",
                null, null, null, null, null, null));
        engine.createAction(new ActionBody("http", "mute", "mute", null, null,
                new ActionBody.Parameters("put", "/x", null, "b", null, null, null, null, 0), null));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:mute"), null, null));

        engine.onMessagePublished(msg("t", "{}"));

        await().untilAsserted(() -> assertThat(engine.action("http:mute").metrics()).containsEntry("failed", 1L)
                .containsEntry("retried", 0L).containsEntry("inflight", 0L));
        RecordingHttpServer.Request req = server.requests.poll(10, TimeUnit.SECONDS);
        assertThat(req).isNotNull();
        assertThat(req.method()).isEqualTo("PUT");
    }

    @Test
    void republishRendersTopicPayloadAndQos() throws Exception {
        engine.createRule(new RuleBody("r1", null, "SELECT payload.temp as temp, clientid, qos FROM \"sensors/#\"",
                List.of(Map.of("function", "republish", "args",
                        Map.of("topic", "out/${clientid}", "payload", "t=${temp}", "qos", "${qos}", "retain", false))), null, null));

        engine.onMessagePublished(msg("sensors/1", "{\"temp\": 3}"));

        await().untilAsserted(() -> assertThat(republished).containsExactly("out/c1 t=3 q1 rfalse"));
        await().untilAsserted(() -> assertThat(engine.rule("r1").metrics()).containsEntry("actions.success", 1L));
    }

    @Test
    void badInputIsRefusedWithTheFieldAndWhatToChange() throws Exception {
        assertThatThrownBy(() -> engine.createRule(new RuleBody("r1", null, "SELECT * FORM \"t\"", List.of(), null, null)))
                .isInstanceOf(RuleConfigException.class).hasMessage("sql: line 1, col 10: expected FROM but found 'FORM'");
        assertThatThrownBy(() -> engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:nope"), null, null)))
                .isInstanceOf(RuleConfigException.class).hasMessageContaining("actions[0]: no action 'http:nope'");
        assertThatThrownBy(() -> engine.createConnector(http("h", "ftp://example.com/")))
                .isExactlyInstanceOf(RuleConfigException.class).hasMessageContaining("url: Invalid url: 'ftp://example.com/' must start with http://");
        assertThatThrownBy(() -> engine.createConnector(new ConnectorBody("kafka", "k", null, null, null, null, null, null, null,
                null, null, null, null, null, null))).hasMessageContaining("type: must be one of [http, mqtt], got kafka");
        assertThatThrownBy(() -> engine.createConnector(http("bad name", server.url("")))).hasMessageStartingWith("name:");
        assertThatThrownBy(() -> engine.createAction(webhook("a", "missing", "", "")))
                .hasMessageContaining("connector: no http connector named 'missing'");
        engine.createConnector(http("h", server.url("")));
        assertThatThrownBy(() -> engine.createConnector(http("h", server.url("")))).hasMessageContaining("already exists");
        assertThatThrownBy(() -> engine.updateRule(new RuleBody("nope", null, "SELECT * FROM \"t\"", List.of(), null, null)))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void aRuleThatFailsOnAMessageIsCountedAndThePublishPathGoesOn() throws Exception {
        engine.createRule(new RuleBody("r1", null, "SELECT payload.x + 1 as y FROM \"t\"",
                List.of(Map.of("function", "console")), null, null));
        engine.onMessagePublished(msg("t", "{\"x\": \"abc\"}"));
        engine.onMessagePublished(msg("t", "{\"x\": 1}"));
        assertThat(engine.rule("r1").metrics()).containsEntry("matched", 2L).containsEntry("failed.exception", 1L)
                .containsEntry("failed", 1L).containsEntry("passed", 1L);
        await().untilAsserted(() -> assertThat(engine.rule("r1").metrics()).containsEntry("actions.success", 1L));
    }

    @Test
    void ruleTestRunsTheSqlAgainstASampleContext() throws Exception {
        var out = engine.testRule(new RuleTestBody("SELECT payload.a as a, clientid FROM \"t/#\" WHERE qos = 1",
                Map.of("topic", "t/1", "payload", "{\"a\": 5}", "clientid", "c9", "qos", 1)));
        assertThat(out).contains(Map.of("a", 5L, "clientid", "c9"));
        assertThat(engine.testRule(new RuleTestBody("SELECT * FROM \"x\"", Map.of("topic", "t/1")))).isEmpty();
    }

    @Test
    void disabledRulesAndActionsDoNotRunAndEnablingIsNeverBlocked() throws Exception {
        engine.createConnector(http("hooks", server.url("")));
        engine.createAction(webhook("h", "hooks", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:h"), false, null));
        engine.onMessagePublished(msg("t", "{}"));
        assertThat(engine.rule("r1").metrics()).containsEntry("matched", 0L);

        engine.enableRule("r1", true);
        engine.enableAction("http:h", false);
        engine.onMessagePublished(msg("t", "{}"));
        assertThat(engine.rule("r1").metrics()).containsEntry("matched", 1L).containsEntry("actions.failed", 1L);
        assertThat(engine.action("http:h").status().state()).isEqualTo(State.DISABLED);

        policy.set(DEFAULT_DENY);
        assertThat(engine.enableConnector("http:hooks", false).status().state()).isEqualTo(State.DISABLED);
        engine.enableConnector("http:hooks", true); // not refused, although the target is now denied
        await().untilAsserted(() -> assertThat(engine.connector("http:hooks").status().reason()).contains("rule_engine.ssrf"));
        assertThatThrownBy(() -> engine.deleteConnector("http:hooks")).hasMessageContaining("used by actions [http:h]");
        assertThatThrownBy(() -> engine.deleteAction("http:h")).hasMessageContaining("used by rules [r1]");
        engine.deleteRule("r1");
        engine.deleteAction("http:h");
        engine.deleteConnector("http:hooks");
        assertThat(engine.listConnectors()).isEmpty();
        assertThat(server.requests).isEmpty();
    }

    @Test
    void stateRoundTripsAndADeniedConnectorLoadsDisabledWithTheReason() throws Exception {
        engine.createConnector(http("hooks", server.url("/h")));
        engine.createConnector(new ConnectorBody("mqtt", "remote", false, null, null, null, null, null, null,
                "127.0.0.1:1", "bridge", new Secret("s3cret-pw"), null, null, null));
        engine.createAction(webhook("h", "hooks", "", ""));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"t\"", List.of("http:h"), null, "d"));
        EngineState state = engine.snapshot();
        assertThat(state.toString()).doesNotContain("s3cret-pw");
        String json = Json.MAPPER.writeValueAsString(state);
        EngineState back = Json.MAPPER.readValue(json, EngineState.class);
        assertThat(back).isEqualTo(state);

        policy.set(DEFAULT_DENY);
        try (RuleEngine other = RuleEngine.builder().ssrfPolicy(policy).build()) {
            assertThat(other.load(back)).isEmpty();
            RuleEngine.ConnectorInfo c = other.connector("http:hooks");
            assertThat(c.status().state()).isEqualTo(State.DISABLED);
            assertThat(c.status().reason()).contains("127.0.0.1").contains("rule_engine.ssrf");
            assertThat(other.listActions()).hasSize(1);
            assertThat(other.listRules()).hasSize(1);
            other.onMessagePublished(msg("t", "{}"));
            await().untilAsserted(() -> assertThat(other.action("http:h").metrics()).containsEntry("failed", 1L));
        }
        assertThat(server.requests).isEmpty();
    }
}

package io.trellis.server.rules;

import static io.trellis.server.rules.RulesNodeTestSupport.api;
import static io.trellis.server.rules.RulesNodeTestSupport.mqttPort;
import static io.trellis.server.rules.RulesNodeTestSupport.startNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.sun.net.httpserver.HttpServer;
import io.trellis.server.Node;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in-process with the SSRF policy on: rules fed by real MQTT publishes, republish to a real
 * subscriber, an HTTP webhook to a real local server once the API allows 127.0.0.1/32, the API
 * refusing loopback targets (also in numeric and IPv4-mapped forms) with 400 and EMQX's text, and
 * the state surviving a restart.
 */
class RulesEndToEndTest {
    private static final String SQL = "SELECT payload.temp as t FROM \"sensors/#\" WHERE payload.temp > 30";

    @TempDir
    Path dir;

    private Node node;
    private HttpServer webhook;
    private Mqtt5BlockingClient client;

    @AfterEach
    void stop() {
        if (client != null && client.getState().isConnected()) client.disconnect();
        if (node != null) node.close();
        if (webhook != null) webhook.stop(0);
    }

    private Node start() throws Exception {
        return startNode(dir, dir.resolve("data"), Map.of("TRELLIS_RULE_ENGINE__SSRF__ENABLE", "true"));
    }

    private Mqtt5BlockingClient connect(String clientId) {
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(mqttPort(node)).buildBlocking();
        c.connect();
        return c;
    }

    @Test
    void republishReachesARealSubscriberAndOnlyWhenTheWhereMatches() throws Exception {
        node = start();
        var created = api(node, "POST", "/api/v5/rules", Map.of("id", "hot", "sql", SQL,
                "actions", List.of(Map.of("function", "republish", "args", Map.of("topic", "alerts/${clientid}", "payload", "${t}")))));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        client = connect("dev1");
        client.subscribeWith().topicFilter("alerts/#").qos(MqttQos.AT_LEAST_ONCE).send();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.SUBSCRIBED)) {
            client.publishWith().topic("sensors/room1").payload("{\"temp\": 20}".getBytes(StandardCharsets.UTF_8)).send();
            client.publishWith().topic("sensors/room1").payload("{\"temp\": 35}".getBytes(StandardCharsets.UTF_8)).send();
            Optional<Mqtt5Publish> got = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(got.get().getTopic().toString()).isEqualTo("alerts/dev1");
            assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("35");
        }
        var metrics = api(node, "GET", "/api/v5/rules/hot/metrics", null).json().get("metrics");
        assertThat(metrics.get("matched").asLong()).isEqualTo(2);
        assertThat(metrics.get("passed").asLong()).isEqualTo(1);
        assertThat(metrics.get("failed.no_result").asLong()).isEqualTo(1);
    }

    @Test
    void aRuleDoesNotFireOnItsOwnRepublishedMessage() throws Exception {
        node = start();
        // FROM "loop/#" republishing to loop/again: without the mark this would run forever
        assertThat(api(node, "POST", "/api/v5/rules", Map.of("id", "loop", "sql", "SELECT * FROM \"loop/#\"",
                "actions", List.of(Map.of("function", "republish", "args", Map.of("topic", "loop/again", "payload", "x"))))).status())
                .isEqualTo(201);
        client = connect("looper");
        client.subscribeWith().topicFilter("loop/again").send();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.SUBSCRIBED)) {
            client.publishWith().topic("loop/start").payload("go".getBytes(StandardCharsets.UTF_8)).send();
            assertThat(publishes.receive(10, TimeUnit.SECONDS)).isPresent();
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                api(node, "GET", "/api/v5/rules/loop/metrics", null).json().get("metrics").get("actions.success").asLong() == 1);
        // the republished message went through the broker (delivered above) but did not match again
        assertThat(api(node, "GET", "/api/v5/rules/loop/metrics", null).json().get("metrics").get("matched").asLong()).isEqualTo(1);
    }

    @Test
    void loopbackTargetsAreRefusedWith400AndEmqxText() throws Exception {
        node = start();
        for (String url : List.of("http://127.0.0.1:" + 9 + "/", "http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://0x7f.1/")) {
            var r = api(node, "POST", "/api/v5/connectors", Map.of("type", "http", "name", "evil", "url", url));
            assertThat(r.status()).as(url + ": " + r.body()).isEqualTo(400);
            assertThat(r.json().get("message").asText()).as(url).contains("rule_engine.ssrf");
            var probe = api(node, "POST", "/api/v5/connectors_probe", Map.of("type", "http", "name", "evil", "url", url));
            assertThat(probe.status()).as("probe " + url).isEqualTo(400);
        }
        var mqtt = api(node, "POST", "/api/v5/connectors", Map.of("type", "mqtt", "name", "evil", "server", "127.0.0.1:1883"));
        assertThat(mqtt.status()).as(mqtt.body()).isEqualTo(400);
        assertThat(api(node, "GET", "/api/v5/connectors", null).json()).isEmpty();
        var badCidr = api(node, "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("allow_cidrs", List.of("10/8"))));
        assertThat(badCidr.status()).isEqualTo(400);
        assertThat(badCidr.json().get("message").asText()).contains("rule_engine.ssrf.allow_cidrs");
    }

    @Test
    void webhookReceivesTheBodyOnceTheApiAllowsLoopbackAndStateSurvivesARestart() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhook.createContext("/", ex -> {
            received.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " "
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        webhook.start();
        String url = "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook";
        node = start();
        Map<String, Object> connector = Map.of("type", "http", "name", "hook", "url", url,
                "headers", Map.of("content-type", "application/json"));
        assertThat(api(node, "POST", "/api/v5/connectors", connector).status()).isEqualTo(400);

        var policy = api(node, "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("allow_cidrs", List.of("127.0.0.1/32"))));
        assertThat(policy.status()).as(policy.body()).isEqualTo(200);
        assertThat(policy.json().get("ssrf").get("enable").asBoolean()).isTrue();
        var c = api(node, "POST", "/api/v5/connectors", connector);
        assertThat(c.status()).as(c.body()).isEqualTo(201);
        var a = api(node, "POST", "/api/v5/actions", Map.of("type", "http", "name", "hook", "connector", "hook",
                "parameters", Map.of("method", "post", "body", "{\"t\": ${t}}")));
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        var rule = api(node, "POST", "/api/v5/rules", Map.of("id", "hot_hook", "sql", SQL, "actions", List.of("http:hook")));
        assertThat(rule.status()).as(rule.body()).isEqualTo(201);

        client = connect("dev2");
        client.publishWith().topic("sensors/b").payload("{\"temp\": 41}".getBytes(StandardCharsets.UTF_8)).send();
        String got = received.poll(10, TimeUnit.SECONDS);
        assertThat(got).isEqualTo("POST /hook {\"t\": 41}");

        Path state = dir.resolve("data").resolve("rules.json");
        assertThat(Files.getPosixFilePermissions(state)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        client.disconnect();
        node.close();

        node = start();
        assertThat(api(node, "GET", "/api/v5/rules/hot_hook", null).json().get("sql").asText()).isEqualTo(SQL);
        assertThat(api(node, "GET", "/api/v5/connectors/http:hook", null).json().get("url").asText()).isEqualTo(url);
        assertThat(api(node, "GET", "/api/v5/rule_engine", null).json().get("ssrf").get("allow_cidrs").get(0).asText())
                .isEqualTo("127.0.0.1/32");
        client = connect("dev3");
        client.publishWith().topic("sensors/c").payload("{\"temp\": 50}".getBytes(StandardCharsets.UTF_8)).send();
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("POST /hook {\"t\": 50}");
    }

    @Test
    void passwordsAreMaskedAndKeptWhenTheMaskIsSentBack() throws Exception {
        node = start();
        api(node, "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("enable", false)));
        // a bridge to a closed port: it never connects, which is fine for this test
        var c = api(node, "POST", "/api/v5/connectors", Map.of("type", "mqtt", "name", "b", "server", "127.0.0.1:9",
                "username", "u", "password", "hunter2"));
        assertThat(c.status()).as(c.body()).isEqualTo(201);
        assertThat(c.body()).doesNotContain("hunter2").contains("******");
        assertThat(api(node, "GET", "/api/v5/connectors", null).body()).doesNotContain("hunter2");
        var put = api(node, "PUT", "/api/v5/connectors/mqtt:b", Map.of("server", "127.0.0.1:9", "username", "u", "password", "******"));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(node.rules().engine().connector("mqtt:b").body().password().reveal()).isEqualTo("hunter2");
        assertThat(api(node, "POST", "/api/v5/actions_probe", Map.of("type", "mqtt", "name", "x", "connector", "nope",
                "parameters", Map.of("topic", "t"))).status()).isEqualTo(404);
        assertThat(api(node, "POST", "/api/v5/connectors/mqtt:b/enable/false", null).status()).isEqualTo(204);
        assertThat(api(node, "DELETE", "/api/v5/connectors/mqtt:b", null).status()).isEqualTo(204);
        assertThat(api(node, "GET", "/api/v5/connectors/mqtt:b", null).status()).isEqualTo(404);
    }
}

package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.server.node.NodeStartException;
import io.trellis.server.testsupport.TestNodeEnv;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole node in-process on free ports: a real MQTT client connects, and the management API
 * lists, kicks and publishes to it. Skipped (not failed) while the broker is still a stub.
 */
class NodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private Node node;
    private Mqtt5BlockingClient mqtt;

    static boolean brokerBuilt() {
        try {
            new MqttServer(BrokerSettings.defaults(), List.of()).close();
            return true;
        } catch (UnsupportedOperationException stub) {
            return false;
        }
    }

    static int freePort() throws IOException {
        return TestNodeEnv.freePort();
    }

    /** The env a test node runs with: its own data dir, every bind on 127.0.0.1 at a free port, TLS off. */
    static Map<String, String> testEnv(Path dataDir, int tcpPort, int apiPort) {
        return TestNodeEnv.loopback("itest@127.0.0.1", dataDir, tcpPort, apiPort);
    }

    @BeforeEach
    void startNode() throws Exception {
        Assumptions.assumeTrue(brokerBuilt(), "the broker (branch broker) is not built yet");
        Path conf = Files.writeString(dir.resolve("trellis.conf"), "mqtt.max_inflight = 16\n");
        Path keys = Files.writeString(dir.resolve("api_keys"), "# ops\nops:0ps-s3cret\n");
        Map<String, String> env = testEnv(dir.resolve("data"), freePort(), freePort());
        env.put("TRELLIS_API_KEY__BOOTSTRAP_FILE", keys.toString());
        node = Node.load(conf, env);
        node.start();
    }

    @AfterEach
    void stopNode() {
        if (mqtt != null && mqtt.getState().isConnected()) {
            mqtt.disconnect();
        }
        if (node != null) {
            node.close();
        }
    }

    private HttpResponse<String> api(String method, String path, String body, String key, String secret)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort()
                + path)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((key + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        return api(method, path, body, node.localCredential().key(), node.localCredential().secret());
    }

    private int tcpPort() {
        return node.listeners().stream().filter(l -> l.spec().id().equals("tcp:default"))
                .mapToInt(BoundListener::port).findFirst().orElseThrow();
    }

    @Test
    void clientsAreListedKickedAndPublishedToThroughTheApi() throws Exception {
        mqtt = MqttClient.builder().useMqttVersion5().identifier("api-test-1").serverHost("127.0.0.1")
                .serverPort(tcpPort()).buildBlocking();
        mqtt.connect();
        mqtt.subscribeWith().topicFilter("t/#").qos(MqttQos.AT_LEAST_ONCE).send();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = mqtt.publishes(MqttGlobalPublishFilter.ALL)) {
            JsonNode clients = JSON.readTree(api("GET", "/api/v5/clients", null).body());
            assertThat(clients.get("meta").get("count").asInt()).isEqualTo(1);
            JsonNode c = clients.get("data").get(0);
            assertThat(c.get("clientid").asText()).isEqualTo("api-test-1");
            assertThat(c.get("node").asText()).isEqualTo("itest@127.0.0.1");
            assertThat(c.get("proto_ver").asInt()).isEqualTo(5);
            assertThat(c.get("connected").asBoolean()).isTrue();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(JSON.readTree(
                    api("GET", "/api/v5/subscriptions", null).body()).get("data").findValuesAsText("topic"))
                    .contains("t/#"));

            HttpResponse<String> pub = api("POST", "/api/v5/publish",
                    "{\"topic\":\"t/1\",\"payload\":\"hello\",\"qos\":1}");
            assertThat(pub.statusCode()).isEqualTo(200);
            Optional<Mqtt5Publish> got = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(got).hasValueSatisfying(p ->
                    assertThat(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hello"));

            assertThat(api("DELETE", "/api/v5/clients/api-test-1", null).statusCode()).isEqualTo(204);
            await().atMost(Duration.ofSeconds(10)).until(() -> !mqtt.getState().isConnected());
            assertThat(api("DELETE", "/api/v5/clients/api-test-1", null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theApiNeedsAKnownKeyAndSecret() throws Exception {
        assertThat(api("GET", "/api/v5/clients", null, null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = api("GET", "/api/v5/clients", null, "ops", "wrong");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(wrong.body()).get("code").asText()).isEqualTo("BAD_API_KEY_OR_SECRET");
        assertThat(api("GET", "/api/v5/clients", null, "ops", "0ps-s3cret").statusCode()).isEqualTo(200);
        assertThat(api("GET", "/api/v5/status", null).body()).contains("Node itest@127.0.0.1 is started");
        assertThat(JSON.readTree(api("GET", "/api/v5/listeners", null).body()).findValuesAsText("id"))
                .containsExactly("tcp:default");
        assertThat(JSON.readTree(api("GET", "/api/v5/stats", null).body()).get(0).has("connections.count")).isTrue();
        assertThat(JSON.readTree(api("GET", "/api/v5/metrics", null).body()).get(0).has("messages.received")).isTrue();
        assertThat(api("GET", "/api/v5/prometheus/stats", null).body())
                .contains("trellis_connections_count", "trellis_messages_received_total", "jvm_memory_used_bytes");
    }

    @Test
    void aSecondNodeOnTheSamePortRefusesToStartNamingListenerAndPort() throws Exception {
        Path conf = Files.writeString(dir.resolve("second.conf"), "");
        Node second = Node.load(conf, testEnv(dir.resolve("data2"), tcpPort(), freePort()));
        assertThatThrownBy(second::start).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("tcp:default").hasMessageContaining(String.valueOf(tcpPort()));
        second.close();
    }

    @Test
    void aNodeThatCannotOpenItsApiLeavesTheRunningNodesCredentialAlone() throws Exception {
        Path conf = Files.writeString(dir.resolve("second.conf"), "");
        Node second = Node.load(conf, testEnv(dir.resolve("data"), freePort(), node.apiAddress().getPort()));
        assertThatThrownBy(second::start).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("dashboard.listeners.http.bind")
                .hasMessageContaining(String.valueOf(node.apiAddress().getPort()));
        second.close();
        assertThat(io.trellis.server.api.LocalCredential.read(dir.resolve("data"))).isEqualTo(node.localCredential());
        assertThat(api("GET", "/api/v5/nodes", null).statusCode()).isEqualTo(200);
    }
}

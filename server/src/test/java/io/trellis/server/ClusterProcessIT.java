package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of real {@code bin/trellis start} processes on 127.0.0.1, driven by {@code ctl}: three
 * nodes with a shared cookie (trellisN+1..N+3 for a random large free N), a stranger with another
 * cookie, and a node without a cookie. The methods run in order on the one cluster; the last
 * kills a node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessIT {
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Path TRELLIS = HOME.resolve("bin").resolve("trellis");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COOKIE = "it-" + Long.toHexString(Double.doubleToLongBits(Math.random())) + "-cluster-cookie";
    private static final String OTHER_COOKIE = "it-other-" + Long.toHexString(System.nanoTime()) + "-cookie";
    private static final Duration NODE_DOWN = Duration.ofSeconds(3);

    /** Static: injected before @BeforeAll. */
    @TempDir
    static Path dir;

    /** One node process: its name, env (for ctl too), ports and output file. */
    private record TestNode(String name, Map<String, String> env, int mqttPort, int apiPort, Path out, Process process) {
    }

    private final List<TestNode> nodes = new ArrayList<>();
    private TestNode n1;
    private TestNode n2;
    private TestNode n3;
    private TestNode stranger;
    private TestNode lonely;

    private Map<String, String> env(String name, String cookie) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name.replace('@', '_')));
        Map<String, String> env = NodeTest.testEnv(home.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_CONF", Files.writeString(home.resolve("trellis.conf"), "log.console.level = info\n").toString());
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_CLUSTER__HEARTBEAT_INTERVAL", "1s");
        env.put("TRELLIS_CLUSTER__NODE_DOWN_TIMEOUT", NODE_DOWN.toSeconds() + "s");
        if (cookie != null) {
            env.put("TRELLIS_NODE__COOKIE", cookie);
        }
        return env;
    }

    private ProcessBuilder trellis(Map<String, String> env, String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(TRELLIS.toString());
        pb.command().addAll(List.of(args));
        pb.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_"));
        pb.environment().putAll(env);
        return pb.redirectErrorStream(true);
    }

    private TestNode start(String name, String cookie) throws IOException {
        Map<String, String> env = env(name, cookie);
        Path out = dir.resolve(name.replace('@', '_') + ".out");
        Process p = trellis(env, "start").redirectOutput(out.toFile()).start();
        int mqtt = Integer.parseInt(env.get("TRELLIS_LISTENERS__TCP__DEFAULT__BIND").replaceAll(".*:", ""));
        int api = Integer.parseInt(env.get("TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND").replaceAll(".*:", ""));
        TestNode node = new TestNode(name, env, mqtt, api, out, p);
        nodes.add(node);
        return node;
    }

    private static String output(TestNode node) throws IOException {
        return Files.exists(node.out()) ? Files.readString(node.out(), StandardCharsets.UTF_8) : "";
    }

    private record Result(int exit, String output) {
    }

    private Result ctl(TestNode node, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("ctl"));
        all.addAll(List.of(args));
        Process p = trellis(node.env(), all.toArray(String[]::new)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ctl %s finished", all).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** {@code ctl cluster status --json} of {@code node}: node name -> node_status. */
    private Map<String, String> statusOf(TestNode node) throws Exception {
        Result r = ctl(node, "cluster", "status", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, String> status = new HashMap<>();
        for (JsonNode n : JSON.readTree(r.output())) {
            status.put(n.path("node").asText(), n.path("node_status").asText());
        }
        return status;
    }

    @BeforeAll
    void startNodes() throws Exception {
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        int n = ClusterPorts.freeOffsets(5);
        n1 = start("trellis" + (n + 1) + "@127.0.0.1", COOKIE);
        n2 = start("trellis" + (n + 2) + "@127.0.0.1", COOKIE);
        n3 = start("trellis" + (n + 3) + "@127.0.0.1", COOKIE);
        stranger = start("trellis" + (n + 4) + "@127.0.0.1", OTHER_COOKIE);
        lonely = start("trellis" + (n + 5) + "@127.0.0.1", null);
        for (TestNode node : nodes) {
            await().atMost(Duration.ofSeconds(60)).until(() -> output(node).contains("node " + node.name() + " started")
                    || !node.process().isAlive());
            assertThat(node.process().isAlive()).as("%s runs; output:%n%s", node.name(), output(node)).isTrue();
        }
    }

    @AfterAll
    void stopNodes() throws Exception {
        for (TestNode node : nodes) {
            node.process().destroyForcibly();
        }
        for (TestNode node : nodes) {
            node.process().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void twoAndThreeJoinOneAndAllThreeRun() throws Exception {
        for (TestNode joiner : List.of(n2, n3)) {
            Result r = ctl(joiner, "cluster", "join", n1.name());
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("joined the cluster of " + n1.name());
        }
        for (TestNode node : List.of(n1, n2, n3)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(statusOf(node)).containsOnly(
                    Map.entry(n1.name(), "running"), Map.entry(n2.name(), "running"), Map.entry(n3.name(), "running")));
        }
        Result table = ctl(n1, "cluster", "status");
        assertThat(table.exit()).as(table.output()).isZero();
        assertThat(table.output()).contains("NODE").contains(n2.name()).contains("running");
    }

    @Test
    @Order(2)
    void aSubscriberOnThreeReceivesWhatOnePublishes() throws Exception {
        Mqtt5BlockingClient sub = MqttClient.builder().useMqttVersion5().identifier("it-sub")
                .serverHost("127.0.0.1").serverPort(n3.mqttPort()).buildBlocking();
        Mqtt5BlockingClient pub = MqttClient.builder().useMqttVersion5().identifier("it-pub")
                .serverHost("127.0.0.1").serverPort(n1.mqttPort()).buildBlocking();
        sub.connect();
        pub.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL)) {
            sub.subscribeWith().topicFilter("it/cluster/#").qos(MqttQos.AT_LEAST_ONCE).send();
            // Routes replicate asynchronously: publish until one arrives, then check it.
            Optional<Mqtt5Publish> msg = Optional.empty();
            for (int i = 0; i < 50 && msg.isEmpty(); i++) {
                pub.publishWith().topic("it/cluster/x").qos(MqttQos.AT_LEAST_ONCE)
                        .payload("hello".getBytes(StandardCharsets.UTF_8)).send();
                msg = received.receive(200, TimeUnit.MILLISECONDS);
            }
            assertThat(msg).as("a message published on node 1 reaches node 3").isPresent();
            assertThat(new String(msg.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        } finally {
            sub.disconnect();
            pub.disconnect();
        }
    }

    @Test
    @Order(3)
    void aNodeWithAnotherCookieIsToldCookieMismatchAndTheCookieIsNeverLogged() throws Exception {
        Result r = ctl(stranger, "cluster", "join", n1.name());
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("cookie mismatch").doesNotContain("\tat ");
        await().atMost(Duration.ofSeconds(10)).until(() -> output(n1).contains("refused node " + stranger.name() + " at /127.0.0.1:"));
        assertThat(statusOf(n1)).doesNotContainKey(stranger.name());
        for (TestNode node : nodes) {
            String out = output(node);
            assertThat(out).as("output of %s", node.name()).doesNotContain(COOKIE).doesNotContain(OTHER_COOKIE);
        }
        assertThat(r.output()).doesNotContain(COOKIE).doesNotContain(OTHER_COOKIE);
    }

    @Test
    @Order(4)
    void aNodeWithoutCookieRefusesToClusterSayingWhy() throws Exception {
        assertThat(output(lonely)).contains("runs alone").contains("node.cookie is not set");
        Result r = ctl(lonely, "cluster", "join", n1.name());
        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains(lonely.name() + " runs alone").contains("node.cookie is not set");
        Result status = ctl(lonely, "cluster", "status");
        assertThat(status.output()).contains("this node runs alone");
    }

    @Test
    @Order(5)
    void portsListListenersTheApiAndTheClusterPorts() throws Exception {
        Result r = ctl(n1, "ports");
        assertThat(r.exit()).as(r.output()).isZero();
        int offset = Integer.parseInt(n1.name().replaceAll("@.*", "").replace("trellis", ""));
        int peer2Dist = 4370 + offset + 1;
        assertThat(r.output().lines())
                .anySatisfy(l -> assertThat(l).contains("listen").contains(String.valueOf(n1.mqttPort())).contains("MQTT"))
                .anySatisfy(l -> assertThat(l).contains("listen").contains(String.valueOf(n1.apiPort())).contains("management API"))
                .anySatisfy(l -> assertThat(l).contains("listen").contains(String.valueOf(4370 + offset)).contains("distribution"))
                .anySatisfy(l -> assertThat(l).contains("dial").contains(String.valueOf(peer2Dist)).contains(n2.name()));
    }

    @Test
    @Order(6)
    void aKilledNodeShowsStoppedWithinTheNodeDownTimeout() throws Exception {
        n3.process().destroyForcibly();
        assertThat(n3.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(NODE_DOWN.plusSeconds(10)).untilAsserted(() -> assertThat(statusOf(n1))
                .containsEntry(n3.name(), "stopped").containsEntry(n2.name(), "running"));
    }
}

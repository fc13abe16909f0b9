package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof for issue 3: two real {@code bin/trellis} nodes in two network namespaces this test creates
 * (joined by a veth pair, TEST-NET-1 addresses 192.0.2.1 and 192.0.2.2 that exist only inside them).
 * An iptables DROP inside namespace A partitions them: each side sees the other stopped; flushing it
 * heals: they reconnect by themselves and a message published on A reaches a subscriber on B again.
 * With {@code cluster.autoheal = false} they reconnect but stay apart ("partitioned" in
 * {@code ctl cluster status}) until {@code ctl cluster join}.
 * Needs root, ip, iptables, mosquitto_pub and mosquitto_sub: skipped without them, failed when CI=true.
 */
class PartitionHealIT {
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Path TRELLIS = HOME.resolve("bin").resolve("trellis");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COOKIE = "it-part-" + Long.toHexString(System.nanoTime()) + "-cookie";
    private static final Duration NODE_DOWN = Duration.ofSeconds(3);
    /** Each ctl call starts a JVM (a second or more on a busy machine): the margin over the timeout. */
    private static final Duration CTL_MARGIN = Duration.ofSeconds(10);
    private static final String IP_A = "192.0.2.1";
    private static final String IP_B = "192.0.2.2";

    @TempDir
    Path dir;

    private record TestNode(String name, String netns, Map<String, String> env, int mqttPort, Path out, Process process) {
    }

    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    private final String nsA = "trellis-it-a-" + suffix;
    private final String nsB = "trellis-it-b-" + suffix;
    private final List<String> namespaces = new ArrayList<>();
    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (TestNode node : nodes) {
            node.process().destroyForcibly();
        }
        for (TestNode node : nodes) {
            node.process().waitFor(10, TimeUnit.SECONDS);
        }
        for (String ns : namespaces) {
            run("ip", "netns", "del", ns); // takes its end of the veth pair, and so the pair, with it
        }
    }

    @Test
    void aPartitionedPairSeesEachOtherDownAndReconnectsByItselfWhenHealed() throws Exception {
        List<TestNode> pair = partitionedPair(Map.of());
        TestNode a = pair.get(0);
        TestNode b = pair.get(1);

        // Heal: nobody runs a join; the nodes find each other again.
        must("ip", "netns", "exec", nsA, "iptables", "-F");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(statusOf(a)).containsEntry(b.name(), "running"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(statusOf(b)).containsEntry(a.name(), "running"));
        assertMessageCrosses(a, b, "after-heal");
    }

    @Test
    void withAutohealOffAHealedPairStaysApartUntilCtlClusterJoin() throws Exception {
        List<TestNode> pair = partitionedPair(Map.of("TRELLIS_CLUSTER__AUTOHEAL", "false"));
        TestNode a = pair.get(0);
        TestNode b = pair.get(1);

        must("ip", "netns", "exec", nsA, "iptables", "-F");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(statusOf(a)).containsEntry(b.name(), "partitioned"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(statusOf(b)).containsEntry(a.name(), "partitioned"));
        Result status = ctl(a, "cluster", "status");
        assertThat(status.output()).contains("cluster.autoheal = false").contains("bin/trellis ctl cluster join " + b.name());
        assertThat(output(a)).contains("cluster.autoheal = false keeps the two sides apart");

        Result join = ctl(a, "cluster", "join", b.name());
        assertThat(join.exit()).as(join.output()).isZero();
        awaitStatus(a, b, "running");
        awaitStatus(b, a, "running");
        assertMessageCrosses(a, b, "after-join");
    }

    /** Two nodes in their namespaces, joined, a message across, then partitioned: each sees the other stopped. */
    private List<TestNode> partitionedPair(Map<String, String> extraEnv) throws Exception {
        requireNetworkTools();
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        for (String ns : List.of(nsA, nsB)) {
            must("ip", "netns", "add", ns);
            namespaces.add(ns);
            must("ip", "-n", ns, "link", "set", "lo", "up");
        }
        must("ip", "link", "add", "name", "va", "netns", nsA, "type", "veth", "peer", "name", "vb", "netns", nsB);
        must("ip", "-n", nsA, "addr", "add", IP_A + "/24", "dev", "va");
        must("ip", "-n", nsB, "addr", "add", IP_B + "/24", "dev", "vb");
        must("ip", "-n", nsA, "link", "set", "va", "up");
        must("ip", "-n", nsB, "link", "set", "vb", "up");

        int n = ThreadLocalRandom.current().nextInt(20_000, 59_000); // own namespaces: every port is free
        TestNode a = start("trellis" + (n + 1) + "@" + IP_A, nsA, IP_A, extraEnv);
        TestNode b = start("trellis" + (n + 2) + "@" + IP_B, nsB, IP_B, extraEnv);
        for (TestNode node : nodes) {
            await().atMost(Duration.ofSeconds(60)).until(() -> output(node).contains("node " + node.name() + " started")
                    || !node.process().isAlive());
            assertThat(node.process().isAlive()).as("%s runs; output:%n%s", node.name(), output(node)).isTrue();
        }
        Result join = ctl(b, "cluster", "join", a.name());
        assertThat(join.exit()).as(join.output()).isZero();
        awaitStatus(a, b, "running");
        awaitStatus(b, a, "running");
        assertMessageCrosses(a, b, "before");

        // Partition: namespace A drops everything to and from B (rules live in A's namespace only).
        must("ip", "netns", "exec", nsA, "iptables", "-A", "INPUT", "-s", IP_B, "-j", "DROP");
        must("ip", "netns", "exec", nsA, "iptables", "-A", "OUTPUT", "-d", IP_B, "-j", "DROP");
        awaitStatus(a, b, "stopped");
        awaitStatus(b, a, "stopped");
        return List.of(a, b);
    }

    /** Outside CI a machine without root or the tools skips; in CI that is a broken runner and fails. */
    private static void requireNetworkTools() throws Exception {
        List<String> missing = new ArrayList<>();
        if (!"0".equals(run("id", "-u").output().strip())) {
            missing.add("root (network namespaces and iptables need it)");
        }
        for (String tool : List.of("ip", "iptables", "mosquitto_pub", "mosquitto_sub")) {
            if (run("sh", "-c", "command -v " + tool).exit() != 0) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String why = "partition test needs " + String.join(", ", missing);
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail(why + " (CI=true: the runner must provide them)");
        }
        Assumptions.abort(why + "; skipped");
    }

    private void awaitStatus(TestNode observer, TestNode peer, String status) {
        await().atMost(NODE_DOWN.plus(CTL_MARGIN)).untilAsserted(() -> assertThat(statusOf(observer))
                .as("%s as seen by %s", peer.name(), observer.name()).containsEntry(peer.name(), status));
    }

    /** A QoS 1 subscriber on {@code to}; publish on {@code from} until it has the message (routes replicate asynchronously). */
    private void assertMessageCrosses(TestNode from, TestNode to, String body) throws Exception {
        String topic = "part/" + body;
        Process sub = new ProcessBuilder("ip", "netns", "exec", to.netns(), "mosquitto_sub", "-h", "127.0.0.1",
                "-p", Integer.toString(to.mqttPort()), "-t", topic, "-q", "1", "-C", "1", "-W", "30")
                .redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                run("ip", "netns", "exec", from.netns(), "mosquitto_pub", "-h", "127.0.0.1",
                        "-p", Integer.toString(from.mqttPort()), "-t", topic, "-q", "1", "-m", body);
                return !sub.isAlive();
            });
            String got = new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(got.strip()).as("what the subscriber on %s got", to.name()).isEqualTo(body);
        } finally {
            sub.destroyForcibly();
        }
    }

    private TestNode start(String name, String netns, String ip, Map<String, String> extraEnv) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name.replace('@', '_')));
        Map<String, String> env = NodeTest.testEnv(home.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_CONF", Files.writeString(home.resolve("trellis.conf"), "log.console.level = info\n").toString());
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", ip);
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", ip);
        env.put("TRELLIS_CLUSTER__HEARTBEAT_INTERVAL", "1s");
        env.put("TRELLIS_CLUSTER__NODE_DOWN_TIMEOUT", NODE_DOWN.toSeconds() + "s");
        env.put("TRELLIS_NODE__COOKIE", COOKIE);
        env.putAll(extraEnv);
        Path out = dir.resolve(name.replace('@', '_') + ".out");
        Process p = trellis(netns, env, "start").redirectOutput(out.toFile()).start();
        int mqtt = Integer.parseInt(env.get("TRELLIS_LISTENERS__TCP__DEFAULT__BIND").replaceAll(".*:", ""));
        TestNode node = new TestNode(name, netns, env, mqtt, out, p);
        nodes.add(node);
        return node;
    }

    /** {@code ip netns exec} execs bin/trellis, which execs the JVM: the process is the node. */
    private static ProcessBuilder trellis(String netns, Map<String, String> env, String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().addAll(List.of("ip", "netns", "exec", netns, TRELLIS.toString()));
        pb.command().addAll(List.of(args));
        pb.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_"));
        pb.environment().putAll(env);
        return pb.redirectErrorStream(true);
    }

    private static String output(TestNode node) throws IOException {
        return Files.exists(node.out()) ? Files.readString(node.out(), StandardCharsets.UTF_8) : "";
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static void must(String... command) throws Exception {
        Result r = run(command);
        assertThat(r.exit()).as("%s: %s", List.of(command), r.output()).isZero();
    }

    private static Result ctl(TestNode node, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("ctl"));
        all.addAll(List.of(args));
        Process p = trellis(node.netns(), node.env(), all.toArray(String[]::new)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ctl %s finished", all).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** {@code ctl cluster status --json} of {@code node}: node name -> node_status, or "partitioned" when held apart. */
    private static Map<String, String> statusOf(TestNode node) throws Exception {
        Result r = ctl(node, "cluster", "status", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, String> status = new HashMap<>();
        for (JsonNode s : JSON.readTree(r.output())) {
            status.put(s.path("node").asText(), s.path("partitioned").asBoolean(false) ? "partitioned" : s.path("node_status").asText());
        }
        return status;
    }
}

package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof for issue 3: three real {@code bin/trellis} processes clustered on 127.0.0.1; a QoS 1
 * publisher on node 1 floods numbered messages, unpaced, to a QoS 1 subscriber on node 2 (both
 * persistent sessions) while node 3, which also has subscribers (so its routes are on 1 and 2), is
 * killed with SIGKILL. Nodes 1 and 2 must see it down and drop its routes within the detection
 * time, and every number 1..N must be accounted for exactly: received by node 2's subscriber, or
 * counted by node 2 as dropped from that subscriber's session queue
 * ({@code delivery.dropped.queue_full}). Duplicates are allowed at QoS 1.
 *
 * <p>What the earlier unpaced run's ~3.6k "lost" of ~104k were: the subscriber's session queue.
 * Node 1 PUBACKs each message once it is routed (forwarding is asynchronous), so the publisher runs
 * as fast as node 1 answers; node 2 can send the subscriber only {@code mqtt.max_inflight} (32) messages
 * before it must wait for PUBACKs, the rest waits in the session queue ({@code mqtt.max_mqueue_len},
 * 1000), and when the subscriber falls behind by more than that the queue drops its oldest. That is
 * MQTT-legal and what EMQX does; it was counted then only as {@code messages.dropped.queue_full}
 * and the test did not look (a re-run: 161,948 published, 12,792 of them dropped from node 2's queue,
 * every other one received). Nothing was lost between the nodes: FloodLossTest (cluster module)
 * accounts for every message of such a flood in one JVM, with and without a peer stopped mid-flood.
 * The other way a running node could miss forwarded messages is a false node-down (heartbeats
 * starved beyond {@code cluster.node_down_timeout} on a saturated machine): the peer's routes are
 * dropped, so what is published meanwhile finds no subscriber ({@code messages.dropped.no_subscribers}
 * on node 1), while what node 1's forwarder held is now forwarded again once the peer is back
 * unrestarted (else counted in {@code messages.dropped.forward}). The failure message says whether
 * nodes 1 and 2 saw each other down.
 */
class PeerKillUnderLoadIT {
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Path TRELLIS = HOME.resolve("bin").resolve("trellis");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COOKIE = "it-kill-" + Long.toHexString(System.nanoTime()) + "-cookie";
    private static final Duration NODE_DOWN = Duration.ofSeconds(3);
    /** Each ctl call starts a JVM (a second or more on a busy machine): the margin over the timeout. */
    private static final Duration CTL_MARGIN = Duration.ofSeconds(10);
    private static final String STREAM = "kill/stream";
    private static final String ONLY_ON_3 = "kill/only3/x";

    @TempDir
    Path dir;

    private record TestNode(String name, Map<String, String> env, int mqttPort, Path out, Process process) {
    }

    private final List<TestNode> nodes = new ArrayList<>();
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final ExecutorService publisher = Executors.newSingleThreadExecutor();

    @AfterEach
    void cleanUp() throws Exception {
        publisher.shutdownNow();
        for (Mqtt5AsyncClient c : clients) {
            try {
                c.disconnect().get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the node may be gone already
            }
        }
        for (TestNode node : nodes) {
            node.process().destroyForcibly();
        }
        for (TestNode node : nodes) {
            node.process().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPeerKilledUnderQos1LoadLosesItsRoutesAndTheSurvivorsLoseNothing() throws Exception {
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        long t0 = System.nanoTime();
        int n = ClusterPorts.freeOffsets(3);
        TestNode n1 = start("trellis" + (n + 1) + "@127.0.0.1");
        TestNode n2 = start("trellis" + (n + 2) + "@127.0.0.1");
        TestNode n3 = start("trellis" + (n + 3) + "@127.0.0.1");
        for (TestNode node : nodes) {
            await().atMost(Duration.ofSeconds(60)).until(() -> output(node).contains("node " + node.name() + " started")
                    || !node.process().isAlive());
            assertThat(node.process().isAlive()).as("%s runs; output:%n%s", node.name(), output(node)).isTrue();
        }
        for (TestNode joiner : List.of(n2, n3)) {
            Result r = ctl(joiner, "cluster", "join", n1.name());
            assertThat(r.exit()).as(r.output()).isZero();
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(statusOf(n1)).containsOnly(
                Map.entry(n1.name(), "running"), Map.entry(n2.name(), "running"), Map.entry(n3.name(), "running")));
        phase(t0, "clustered");

        // Subscribers: node 2 counts the stream; node 3 takes the stream and a topic only it has.
        Set<Integer> onTwo = ConcurrentHashMap.newKeySet();
        AtomicInteger warmOnTwo = new AtomicInteger();
        AtomicInteger onThree = new AtomicInteger();
        Mqtt5AsyncClient sub2 = connect("kill-sub2", n2);
        sub2.subscribeWith().topicFilter(STREAM).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            String body = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
            if (body.equals("warm")) {
                warmOnTwo.incrementAndGet();
            } else {
                onTwo.add(Integer.parseInt(body));
            }
        }).send().get(10, TimeUnit.SECONDS);
        Mqtt5AsyncClient sub3 = connect("kill-sub3", n3);
        for (String filter : List.of(STREAM, "kill/only3/#")) {
            sub3.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> onThree.incrementAndGet()).send().get(10, TimeUnit.SECONDS);
        }
        Mqtt5BlockingClient pub = connect("kill-pub", n1).toBlocking();
        Mqtt5BlockingClient probe2 = connect("kill-probe2", n2).toBlocking();

        // Routes replicate asynchronously: publish warm-ups until both remote subscribers have one.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            publish(pub, STREAM, "warm");
            publish(pub, ONLY_ON_3, "warm");
            publish(probe2, ONLY_ON_3, "warm");
            return warmOnTwo.get() > 0 && onThree.get() >= 4;
        });
        phase(t0, "routes in place");
        long queueFullBefore = metric(n2, "delivery.dropped.queue_full"); // a second: the warm-ups are through by then

        // The numbered stream, unpaced, kept going until the test has seen node 3's routes gone.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger acked = new AtomicInteger();
        Future<?> stream = publisher.submit(() -> {
            for (int i = 1; !stop.get(); i++) {
                publish(pub, STREAM, Integer.toString(i));
                acked.set(i);
            }
            return null;
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> acked.get() >= 200 || stream.isDone());
        assertThat(stream.isDone()).as("the publisher still runs").isFalse();

        long droppedOn1 = droppedNoSubscribers(n1);
        long droppedOn2 = droppedNoSubscribers(n2);
        n3.process().destroyForcibly(); // SIGKILL: bin/trellis execs the JVM, so this is the node itself
        assertThat(n3.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        int ackedAtKill = acked.get();
        phase(t0, "node 3 killed");

        for (TestNode survivor : List.of(n1, n2)) {
            await().atMost(NODE_DOWN.plus(CTL_MARGIN)).untilAsserted(() -> assertThat(statusOf(survivor))
                    .containsEntry(n3.name(), "stopped").containsEntry(n1.name(), "running")
                    .containsEntry(n2.name(), "running"));
        }
        phase(t0, "node 3 seen stopped by 1 and 2");
        // Node 3's routes are gone once a message only node 3 subscribed to finds no subscriber.
        await().atMost(NODE_DOWN.plus(CTL_MARGIN)).untilAsserted(() -> {
            publish(probe2, ONLY_ON_3, "after-kill");
            assertThat(droppedNoSubscribers(n2)).isGreaterThan(droppedOn2);
        });
        Mqtt5BlockingClient probe1 = connect("kill-probe1", n1).toBlocking();
        await().atMost(NODE_DOWN.plus(CTL_MARGIN)).untilAsserted(() -> {
            publish(probe1, ONLY_ON_3, "after-kill");
            assertThat(droppedNoSubscribers(n1)).isGreaterThan(droppedOn1);
        });
        phase(t0, "node 3's routes gone on 1 and 2");

        int more = acked.get() + 200;
        await().atMost(Duration.ofSeconds(20)).until(() -> acked.get() >= more || stream.isDone());
        stop.set(true);
        stream.get(20, TimeUnit.SECONDS); // rethrows a failed publish
        int last = acked.get();
        assertThat(last).as("messages were published after the kill").isGreaterThan(ackedAtKill);
        System.out.printf("published 1..%d, %d of them before the kill%n", last, ackedAtKill);
        // Every number is received or counted as dropped by node 2's session queue.
        long[] queueFull = {0};
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                queueFull[0] = metric(n2, "delivery.dropped.queue_full") - queueFullBefore;
                return onTwo.size() + queueFull[0] >= last;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // fall through to the assertion naming the missing numbers
        }
        List<String> gaps = missing(onTwo, last);
        String account = String.format("published 1..%d (%d before the kill); node 2's subscriber got %d distinct numbers; "
                        + "node 2 dropped %d from its session queue; gaps %s; node 1 dropped %d for peers; "
                        + "node 1 saw node 2 down: %s, node 2 saw node 1 down: %s", last, ackedAtKill,
                onTwo.size(), queueFull[0], abbreviate(gaps),
                metric(n1, "messages.dropped.forward"), output(n1).contains("node " + n2.name() + " is down"),
                output(n2).contains("node " + n1.name() + " is down"));
        System.out.println(account);
        assertThat(onTwo.size() + queueFull[0]).as(account).isEqualTo(last);
        assertThat(metric(n2, "delivery.dropped")).as("node 2 drops nothing else: " + account)
                .isEqualTo(metric(n2, "delivery.dropped.queue_full"));
    }

    private static String abbreviate(List<String> gaps) {
        return gaps.size() <= 20 ? gaps.toString() : gaps.subList(0, 20) + " and " + (gaps.size() - 20) + " more";
    }

    /** Progress in the test's output file: where the time goes when the run is slow. */
    private static void phase(long t0, String what) {
        System.out.printf("%6d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), what);
    }

    /** The gaps in 1..last as ranges "a-b", so a failure names what was lost. */
    private static List<String> missing(Set<Integer> received, int last) {
        List<String> gaps = new ArrayList<>();
        int from = -1;
        for (int i = 1; i <= last + 1; i++) {
            boolean gap = i <= last && !received.contains(i);
            if (gap && from < 0) {
                from = i;
            } else if (!gap && from >= 0) {
                gaps.add(from == i - 1 ? Integer.toString(from) : from + "-" + (i - 1));
                from = -1;
            }
        }
        return gaps;
    }

    private static void publish(Mqtt5BlockingClient client, String topic, String body) {
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                .payload(body.getBytes(StandardCharsets.UTF_8)).send();
    }

    /** A persistent session (clean start off, a long expiry): QoS 1 flows survive a reconnect. */
    private Mqtt5AsyncClient connect(String id, TestNode node) throws Exception {
        Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(id)
                .serverHost("127.0.0.1").serverPort(node.mqttPort()).buildAsync();
        c.connectWith().cleanStart(false).sessionExpiryInterval(300).send().get(10, TimeUnit.SECONDS);
        clients.add(c);
        return c;
    }

    private long droppedNoSubscribers(TestNode node) throws Exception {
        return metric(node, "messages.dropped.no_subscribers");
    }

    /** One counter of {@code ctl metrics --json} of {@code node}. */
    private static long metric(TestNode node, String name) throws Exception {
        Result r = ctl(node, "metrics", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode value = JSON.readTree(r.output()).path("metrics").path(name);
        assertThat(value.isNumber()).as("metric %s in %s", name, r.output()).isTrue();
        return value.asLong();
    }

    private TestNode start(String name) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name.replace('@', '_')));
        Map<String, String> env = NodeTest.testEnv(home.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_CONF", Files.writeString(home.resolve("trellis.conf"), "log.console.level = info\n").toString());
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_CLUSTER__HEARTBEAT_INTERVAL", "1s");
        env.put("TRELLIS_CLUSTER__NODE_DOWN_TIMEOUT", NODE_DOWN.toSeconds() + "s");
        env.put("TRELLIS_NODE__COOKIE", COOKIE);
        Path out = dir.resolve(name.replace('@', '_') + ".out");
        Process p = trellis(env, "start").redirectOutput(out.toFile()).start();
        int mqtt = Integer.parseInt(env.get("TRELLIS_LISTENERS__TCP__DEFAULT__BIND").replaceAll(".*:", ""));
        TestNode node = new TestNode(name, env, mqtt, out, p);
        nodes.add(node);
        return node;
    }

    private static ProcessBuilder trellis(Map<String, String> env, String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(TRELLIS.toString());
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

    private static Result ctl(TestNode node, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("ctl"));
        all.addAll(List.of(args));
        Process p = trellis(node.env(), all.toArray(String[]::new)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ctl %s finished", all).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** {@code ctl cluster status --json} of {@code node}: node name -> node_status. */
    private static Map<String, String> statusOf(TestNode node) throws Exception {
        Result r = ctl(node, "cluster", "status", "--json");
        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, String> status = new HashMap<>();
        for (JsonNode s : JSON.readTree(r.output())) {
            status.put(s.path("node").asText(), s.path("node_status").asText());
        }
        return status;
    }
}

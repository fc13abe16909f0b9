package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.config.TrellisConfig;
import io.trellis.server.cluster.ClusterFactory;
import io.trellis.server.cluster.FakeCluster;
import io.trellis.server.node.NodeStartException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** How a node decides to cluster or run alone, and the cluster it makes, in one JVM. */
class NodeClusterTest {
    private static final String COOKIE = "Zt6Vq1bJ0c9-node-cluster-test-cookie";

    @TempDir
    Path dir;

    private final List<Node> nodes = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        log.start();
        ((Logger) LoggerFactory.getLogger(Node.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(Node.class)).detachAppender(log);
        nodes.forEach(Node::close);
    }

    private Node node(String name, Map<String, String> extra, ClusterFactory factory) throws Exception {
        Path home = Files.createDirectories(dir.resolve(name.replace('@', '_')));
        Map<String, String> env = NodeTest.testEnv(home.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.putAll(extra);
        Node node = Node.from(TrellisConfig.load(Files.writeString(home.resolve("trellis.conf"), ""), env), factory);
        nodes.add(node);
        return node;
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void withoutACookieTheNodeRunsAloneAndSaysWhyOnce() throws Exception {
        AtomicReference<Cluster> made = new AtomicReference<>();
        Node node = node("alone1@127.0.0.1", Map.of(), (s, m, v) -> {
            made.set(new FakeCluster("alone1@127.0.0.1"));
            return made.get();
        });
        node.start();
        assertThat(made.get()).as("no cluster is made without a cookie").isNull();
        assertThat(node.cluster().clustered()).isFalse();
        assertThat(node.cluster().aloneReason()).contains("node.cookie is not set");
        assertThat(warnings()).singleElement().asString().contains("alone1@127.0.0.1 runs alone").contains("node.cookie");
        assertThatThrownBy(() -> node.cluster().join("other1@127.0.0.1")).isInstanceOf(ClusterJoinException.class)
                .hasMessageContaining("runs alone").hasMessageContaining("node.cookie is not set");
    }

    @Test
    void aSampleCookieOrSingletonAlsoRunsAloneAndTheCookieIsNeverLogged() throws Exception {
        Node sample = node("sample1@127.0.0.1", Map.of("TRELLIS_NODE__COOKIE", "emqxsecretcookie"), (s, m, v) -> {
            throw new AssertionError("no cluster with a sample cookie");
        });
        sample.start();
        assertThat(sample.cluster().aloneReason()).contains("well-known sample value").doesNotContain("emqxsecretcookie");

        Node singleton = node("single1@127.0.0.1", Map.of("TRELLIS_NODE__COOKIE", COOKIE,
                "TRELLIS_CLUSTER__DISCOVERY_STRATEGY", "singleton"), (s, m, v) -> {
                    throw new AssertionError("no cluster with singleton");
                });
        singleton.start();
        assertThat(singleton.cluster().aloneReason()).contains("singleton");
        assertThat(warnings()).hasSize(2).noneSatisfy(w -> assertThat(w).containsIgnoringCase("emqxsecretcookie"))
                .noneSatisfy(w -> assertThat(w).contains(COOKIE));
    }

    @Test
    void withACookieTheFactoryMakesAndStartsTheClusterAndCloseStopsIt() throws Exception {
        FakeCluster cluster = new FakeCluster("made1@127.0.0.1");
        Node node = node("made1@127.0.0.1", Map.of("TRELLIS_NODE__COOKIE", COOKIE), (s, m, v) -> {
            assertThat(s.node().toString()).isEqualTo("made1@127.0.0.1");
            assertThat(m).isNotNull();
            return cluster;
        });
        node.start();
        assertThat(cluster.started).isTrue();
        assertThat(node.cluster().clustered()).isTrue();
        assertThat(warnings()).isEmpty();
        node.close();
        assertThat(cluster.closed).isTrue();
    }

    @Test
    void aStaticSeedOnTheSamePortStopsTheNodeNamingBoth() throws Exception {
        Node node = node("clash7@127.0.0.1", Map.of("TRELLIS_NODE__COOKIE", COOKIE,
                "TRELLIS_CLUSTER__DISCOVERY_STRATEGY", "static",
                "TRELLIS_CLUSTER__STATIC__SEEDS", "[\"clash07@127.0.0.1\"]"), (s, m, v) -> {
                    throw new AssertionError("the clash is found before the cluster is made");
                });
        assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                .hasMessageContaining("clash07@127.0.0.1").hasMessageContaining("clash7@127.0.0.1")
                .hasMessageContaining("4377");
    }

    @Test
    void aDistributionPortInUseStopsTheNodeNamingItAndThePort() throws Exception {
        int n = ClusterPorts.freeOffsets(1);
        try (ServerSocket taken = new ServerSocket(4370 + n, 1, InetAddress.getByName("127.0.0.1"))) {
            Node node = node("busy" + n + "@127.0.0.1", Map.of("TRELLIS_NODE__COOKIE", COOKIE), ClusterFactory.standard());
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessageContaining("busy" + n + "@127.0.0.1").hasMessageContaining(String.valueOf(4370 + n))
                    .hasMessageNotContaining(COOKIE);
        }
    }

    @Test
    void twoRealNodesJoinAndAWrongCookieIsACookieMismatch() throws Exception {
        int n = ClusterPorts.freeOffsets(3);
        String a = "ta" + n + "@127.0.0.1";
        String b = "tb" + (n + 1) + "@127.0.0.1";
        String c = "tc" + (n + 2) + "@127.0.0.1";
        Node first = node(a, Map.of("TRELLIS_NODE__COOKIE", COOKIE), ClusterFactory.standard());
        Node second = node(b, Map.of("TRELLIS_NODE__COOKIE", COOKIE), ClusterFactory.standard());
        Node stranger = node(c, Map.of("TRELLIS_NODE__COOKIE", "another-" + COOKIE), ClusterFactory.standard());
        first.start();
        second.start();
        stranger.start();

        second.cluster().join(a);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(first.cluster().nodes())
                .anySatisfy(s -> assertThat(s.node().toString()).isEqualTo(b))
                .allSatisfy(s -> assertThat(s.running()).isTrue()));

        assertThatThrownBy(() -> stranger.cluster().join(a)).isInstanceOf(ClusterJoinException.class)
                .hasMessageContaining("cookie mismatch").hasMessageNotContaining(COOKIE);
        assertThat(first.cluster().nodes()).noneSatisfy(s -> assertThat(s.node().toString()).isEqualTo(c));
    }
}

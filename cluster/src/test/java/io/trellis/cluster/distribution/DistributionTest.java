package io.trellis.cluster.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeFailedException;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.handshake.Role;
import io.trellis.config.Secret;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Several distribution nodes in one JVM on loopback, random ports, short timings. */
class DistributionTest {
    private static final String COOKIE = "Mn4Bv7Cx0Za3Sd6Fg9Hj2Kl5Qw8Er1Ty";
    private static final Distribution.Timing FAST = new Distribution.Timing(Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofHours(1));

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<Distribution> nodes = new ArrayList<>();

    /** A node and what its listeners heard, as "up b@h" / "down b@h: reason". */
    record Node(Distribution dist, Queue<String> events) {
        NodeName name() {
            return dist.self();
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", dist.port());
        }

        CompletableFuture<NodeName> join(Node other) {
            return dist.join(other.name(), other.address());
        }
    }

    private Node node(String name, String cookie, Distribution.Timing timing) throws InterruptedException {
        HandshakeSettings hs = new HandshakeSettings(NodeName.parse(name), CookieKey.of(new Secret(cookie)), Duration.ofSeconds(5),
                new RefusalLog(Duration.ofMinutes(1)));
        Distribution d = new Distribution(hs, new InetSocketAddress("127.0.0.1", 0), timing, group);
        nodes.add(d);
        Queue<String> events = new ConcurrentLinkedQueue<>();
        d.addListener(new MembershipListener() {
            @Override
            public void nodeUp(NodeName node) {
                events.add("up " + node);
            }

            @Override
            public void nodeDown(NodeName node, String reason) {
                events.add("down " + node + ": " + reason);
            }
        });
        d.start();
        return new Node(d, events);
    }

    private Node node(String name) throws InterruptedException {
        return node(name, COOKIE, FAST);
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(Distribution::close);
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static NodeName n(String name) {
        return NodeName.parse(name);
    }

    @Test
    void nodesJoiningOneSeedFormAFullMesh() throws Exception {
        Node a = node("a@127.0.0.1");
        Node b = node("b@127.0.0.1");
        Node c = node("c@127.0.0.1");
        assertThat(b.join(a).get(10, TimeUnit.SECONDS)).isEqualTo(a.name());
        assertThat(b.dist().upNodes()).containsExactly(a.name());
        c.join(a).get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(a.dist().upNodes()).containsExactly(b.name(), c.name());
            assertThat(b.dist().upNodes()).containsExactly(a.name(), c.name());
            assertThat(c.dist().upNodes()).containsExactly(a.name(), b.name());
        });
        await().untilAsserted(() -> assertThat(b.events()).contains("up a@127.0.0.1", "up c@127.0.0.1"));
    }

    @Test
    void aJoinWithAnotherCookieFailsWithCookieMismatchNotNodeDown() throws Exception {
        Node a = node("a@127.0.0.1");
        Node stranger = node("x@127.0.0.1", "Another0Long1Random2Cookie3Value4", FAST);
        Throwable thrown = catchThrowable(() -> stranger.join(a).get(10, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(HandshakeFailedException.class);
        HandshakeFailedException failed = (HandshakeFailedException) thrown.getCause();
        assertThat(failed.reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
        assertThat(failed.getMessage()).contains("refused our distribution connection: cookie mismatch");
        assertThat(stranger.dist().knownNodes()).isEmpty();
        assertThat(a.dist().knownNodes()).isEmpty();
        assertThat(a.events()).isEmpty();
    }

    @Test
    void aCrashedNodeIsSeenDownByEveryPeer() throws Exception {
        Node a = node("a@127.0.0.1");
        Node b = node("b@127.0.0.1");
        Node c = node("c@127.0.0.1");
        b.join(a).get(10, TimeUnit.SECONDS);
        c.join(a).get(10, TimeUnit.SECONDS);
        await().untilAsserted(() -> assertThat(c.dist().upNodes()).hasSize(2));

        c.dist().close(); // no LEAVE: as a crash
        await().untilAsserted(() -> {
            assertThat(a.events()).contains("down c@127.0.0.1: connection closed");
            assertThat(b.events()).contains("down c@127.0.0.1: connection closed");
        });
        assertThat(a.dist().upNodes()).containsExactly(b.name());
        assertThat(a.dist().knownNodes()).as("still a member, retried until autoclean").contains(c.name());
    }

    @Test
    void aDroppedConnectionIsReestablishedWithAFreshHandshake() throws Exception {
        Node a = node("a@127.0.0.1");
        Node b = node("b@127.0.0.1");
        b.join(a).get(10, TimeUnit.SECONDS);
        await().until(() -> a.dist().upNodes().contains(b.name()));

        a.dist().dropConnectionForTest(b.name());
        await().untilAsserted(() -> {
            assertThat(a.events()).containsSubsequence("up b@127.0.0.1", "down b@127.0.0.1: connection closed", "up b@127.0.0.1");
            assertThat(b.events()).containsSubsequence("up a@127.0.0.1", "down a@127.0.0.1: connection closed", "up a@127.0.0.1");
        });
    }

    @Test
    void aSilentPeerIsDeclaredDownAfterTheNodeDownTimeout() throws Exception {
        Node a = node("a@127.0.0.1", COOKIE, new Distribution.Timing(Duration.ofMillis(100), Duration.ofMillis(500),
                Duration.ofHours(1), Duration.ofSeconds(2), Duration.ofHours(1)));
        // s heartbeats far less often than a expects: to a it is silent while its connection stays open.
        Node s = node("s@127.0.0.1", COOKIE, new Distribution.Timing(Duration.ofHours(1), Duration.ofHours(3),
                Duration.ofHours(1), Duration.ofSeconds(2), Duration.ofHours(1)));
        s.join(a).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(a.events()).contains("down s@127.0.0.1: no heartbeat for 500ms (cluster.node_down_timeout)"));
    }

    @Test
    void whenBothDialAtOnceOneConnectionIsKeptTheLowerNamesOutgoing() throws Exception {
        for (int round = 0; round < 5; round++) {
            Node a = node("a" + round + "@127.0.0.1");
            Node b = node("b" + round + "@127.0.0.1");
            CompletableFuture<NodeName> ab = a.join(b);
            CompletableFuture<NodeName> ba = b.join(a);
            ab.handle((x, e) -> null).get(10, TimeUnit.SECONDS);
            ba.handle((x, e) -> null).get(10, TimeUnit.SECONDS);
            await().untilAsserted(() -> {
                assertThat(a.dist().connectionRole(b.name())).contains(Role.DIALLER);
                assertThat(b.dist().connectionRole(a.name())).contains(Role.ACCEPTOR);
            });
        }
    }

    @Test
    void aNodeThatLeavesIsForgottenAndNotRedialled() throws Exception {
        Node a = node("a@127.0.0.1");
        Node b = node("b@127.0.0.1");
        Node c = node("c@127.0.0.1");
        b.join(a).get(10, TimeUnit.SECONDS);
        c.join(a).get(10, TimeUnit.SECONDS);
        await().untilAsserted(() -> assertThat(c.dist().upNodes()).hasSize(2));

        c.dist().leave();
        await().untilAsserted(() -> {
            assertThat(a.events()).contains("down c@127.0.0.1: left the cluster");
            assertThat(b.events()).contains("down c@127.0.0.1: left the cluster");
        });
        assertThat(a.dist().knownNodes()).containsExactly(b.name());
        assertThat(c.dist().knownNodes()).isEmpty();
    }

    @Test
    void aClusterFormsOverIpv6Loopback() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback on this machine");
        List<Distribution> six = new ArrayList<>();
        for (String name : List.of("a@::1", "b@::1")) {
            HandshakeSettings hs = new HandshakeSettings(NodeName.parse(name), CookieKey.of(new Secret(COOKIE)), Duration.ofSeconds(5),
                    new RefusalLog(Duration.ofMinutes(1)));
            Distribution d = new Distribution(hs, new InetSocketAddress("::1", 0), FAST, group);
            nodes.add(d);
            six.add(d);
            d.start();
        }
        six.get(1).join(six.get(0).self(), new InetSocketAddress("::1", six.get(0).port())).get(10, TimeUnit.SECONDS);
        await().untilAsserted(() -> assertThat(six.get(0).upNodes()).containsExactly(n("b@::1")));
    }

    private static boolean ipv6LoopbackWorks() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1"))) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void theConfiguredNodeRefusesToClusterWithoutAGoodCookieOrWithAPortClash() throws Exception {
        io.trellis.cluster.ClusterSettings noCookie = io.trellis.cluster.ClusterSettings.from(io.trellis.config.TrellisConfig.defaults());
        assertThat(catchThrowable(() -> Distribution.create(noCookie, group)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("node.cookie is not set");

        io.trellis.cluster.ClusterSettings good = io.trellis.cluster.ClusterSettings.from(io.trellis.config.TrellisConfig.parse(
                "node { name = \"trellis1@127.0.0.1\", cookie = \"" + COOKIE + "\" }", "test.conf", java.util.Map.of()));
        Distribution d = Distribution.create(good, group);
        nodes.add(d);
        Throwable clash = catchThrowable(() -> d.join(n("trellis01@127.0.0.1")).get(10, TimeUnit.SECONDS));
        assertThat(clash).hasMessageContaining("cannot join: trellis01@127.0.0.1 and trellis1@127.0.0.1 both map to port 4371");
    }
}

package io.trellis.cluster.discovery;

import static org.awaitility.Awaitility.await;

import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.RpcPortDiscovery;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.config.Secret;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code cluster.discovery_strategy = static}: two in-JVM nodes that list each other in
 * {@code cluster.static.seeds} find each other by themselves. Discovery dials a seed on its
 * planned port (4370 + N), so each node listens there: N is a random large number whose
 * distribution and RPC ports were checked free just before.
 */
class StaticDiscoveryTest {
    private static final String COOKIE = "Hs7Kd2Lp9Qw4Er6Ty1Ui3Op8As5Df0Gj";
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    void nodesListingEachOtherAsSeedsFormAClusterEvenWhenOneStartsLater() {
        NodeName a = freeNodeName("sa");
        NodeName b = freeNodeName("sb");
        List<NodeName> seeds = List.of(a, b);

        ClusterNode first = start(a, seeds);
        // b is not up yet: a's first join fails and is retried with backoff until b is there.
        ClusterNode second = start(b, seeds);

        await().atMost(20, TimeUnit.SECONDS).until(() -> first.upNodes().contains(b) && second.upNodes().contains(a)
                && first.forwardsTo(b) && second.forwardsTo(a));
    }

    private ClusterNode start(NodeName name, List<NodeName> seeds) {
        MqttServer mqtt = new MqttServer(BrokerSettings.defaults(), List.of(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                new InetSocketAddress("127.0.0.1", 0), null, null, 10_000)));
        mqtt.start();
        started.add(mqtt);
        ClusterSettings settings = new ClusterSettings(name, new Secret(COOKIE), ClusterSettings.DiscoveryStrategy.STATIC, seeds, "", "a",
                false, "127.0.0.1", Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofHours(1), true,
                RpcPortDiscovery.STATELESS, 5369, "127.0.0.1", 2, Duration.ofSeconds(2), Duration.ofSeconds(5), TransportSecurity.PLAIN);
        ClusterNode node = new ClusterNode(settings, mqtt, "test-1.0",
                new InetSocketAddress("127.0.0.1", name.distPort()),
                new InetSocketAddress("127.0.0.1", name.rpcPort(RpcPortDiscovery.STATELESS, 5369)));
        node.start();
        started.add(node::close);
        return node;
    }

    /** {@code prefix<N>@127.0.0.1} with N such that 4370 + N and 5370 + N are free now. */
    static NodeName freeNodeName(String prefix) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int n = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (free(4370 + n) && free(5370 + n)) {
                return NodeName.parse(prefix + n + "@127.0.0.1");
            }
        }
        throw new IllegalStateException("no free pair of ports 4370+N / 5370+N found");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

package io.trellis.cluster.it;

import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.RpcPortDiscovery;
import io.trellis.config.Secret;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * N nodes in one JVM: each an {@link MqttServer} on a random port and a {@link ClusterNode}
 * with distribution and RPC on random ports, loopback (IPv4 or ::1), short heartbeat timings.
 */
final class ClusterHarness implements AutoCloseable {
    static final String COOKIE = "Zq8Wx3Ec6Rv9Tb2Yn5Um1Ik4Ol7Pa0Sd";

    final String host;
    final int clientNum;
    final List<Node> nodes = new ArrayList<>();
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    /** TLS of each node's channels; plain unless a test says otherwise. */
    java.util.function.Function<NodeName, io.trellis.cluster.transport.TransportSecurity> transport =
            node -> io.trellis.cluster.transport.TransportSecurity.PLAIN;
    /** cluster.autoheal of nodes started from now on. */
    boolean autoheal = true;
    /** cluster.node_down_timeout of nodes added from now on: short, so tests see a dead peer fast. */
    Duration nodeDownTimeout = Duration.ofSeconds(1);

    /** One node of the harness. */
    final class Node {
        final String name;
        final String cookie;
        MqttServer mqtt;
        ClusterNode cluster;
        boolean stopped;

        Node(String name, String cookie) {
            this.name = name;
            this.cookie = cookie;
        }

        NodeName nodeName() {
            return NodeName.parse(name + "@" + host);
        }

        void start(int distPort, int rpcPort) {
            stopped = false;
            mqtt = new MqttServer(BrokerSettings.defaults(), List.of(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                    new InetSocketAddress(host, 0), null, null, 10_000)));
            mqtt.start();
            cluster = new ClusterNode(settings(nodeName(), cookie), mqtt, "test-1.0",
                    new InetSocketAddress(host, distPort), new InetSocketAddress(host, rpcPort));
            cluster.start();
        }

        int mqttPort() {
            return mqtt.boundListeners().get(0).port();
        }

        InetSocketAddress distAddress() {
            return new InetSocketAddress(host, cluster.distPort());
        }

        /** Stops as a crash would for the peers (connections close). */
        void stop() {
            stopped = true;
            cluster.close();
            mqtt.close();
        }
    }

    ClusterHarness(String host, int clientNum) {
        this.host = host;
        this.clientNum = clientNum;
    }

    ClusterSettings settings(NodeName node, String cookie) {
        return new ClusterSettings(node, cookie == null ? null : new Secret(cookie), ClusterSettings.DiscoveryStrategy.MANUAL,
                List.of(), "", "a", host.contains(":"), host, Duration.ofMillis(200), nodeDownTimeout, Duration.ofHours(1), autoheal,
                RpcPortDiscovery.STATELESS, 5369, host, clientNum, Duration.ofSeconds(2), Duration.ofSeconds(5), transport.apply(node));
    }

    /** Starts n nodes with the common cookie and joins each to the first; waits for the full mesh. */
    static ClusterHarness start(int n) {
        return start(n, "127.0.0.1", 4);
    }

    static ClusterHarness start(int n, String host, int clientNum) {
        return start(n, host, clientNum, true, Duration.ofSeconds(1));
    }

    static ClusterHarness start(int n, String host, int clientNum, Duration nodeDownTimeout) {
        return start(n, host, clientNum, true, nodeDownTimeout);
    }

    /**
     * n nodes for partition tests, with the given cluster.autoheal. {@link #partition} closes
     * connections, which both sides see at once: a long node-down timeout changes nothing there and
     * keeps heartbeats missed on a loaded machine from making partitions of their own.
     */
    static ClusterHarness start(int n, boolean autoheal) {
        return start(n, "127.0.0.1", 4, autoheal, Duration.ofSeconds(30));
    }

    static ClusterHarness start(int n, String host, int clientNum, boolean autoheal, Duration nodeDownTimeout) {
        ClusterHarness h = new ClusterHarness(host, clientNum);
        h.autoheal = autoheal;
        h.nodeDownTimeout = nodeDownTimeout;
        for (int i = 1; i <= n; i++) {
            h.add("n" + i, COOKIE);
        }
        for (int i = 1; i < n; i++) {
            h.nodes.get(i).cluster.join(h.nodes.get(0).nodeName(), h.nodes.get(0).distAddress()).join();
        }
        h.awaitMesh();
        return h;
    }

    Node add(String name, String cookie) {
        Node node = new Node(name, cookie);
        node.start(0, 0);
        nodes.add(node);
        return node;
    }

    Node node(int oneBased) {
        return nodes.get(oneBased - 1);
    }

    /** Every running node sees every other running node up, with its routes and an RPC forwarder. */
    void awaitMesh() {
        List<Node> running = nodes.stream().filter(n -> n.cluster != null && n.cluster.distPort() != 0).toList();
        await().atMost(10, TimeUnit.SECONDS).until(() -> running.stream().allMatch(a -> running.stream()
                .allMatch(b -> a == b || (a.cluster.hasRoutesOf(b.nodeName()) && a.cluster.forwardsTo(b.nodeName())))));
    }

    /**
     * A network partition between {@code side} and {@code other}: connections between them close
     * and no new one gets through until {@link #restoreNetwork}. Returns once every node of each
     * side sees the other side down.
     */
    void partition(List<Node> side, List<Node> other) {
        network(side, other, true);
        await().atMost(10, TimeUnit.SECONDS).until(() -> side.stream().allMatch(a -> other.stream().noneMatch(b ->
                a.cluster.upNodes().contains(b.nodeName()) || b.cluster.upNodes().contains(a.nodeName()))));
    }

    /** Ends a {@link #partition}: the network between the sides works again (nodes reconnect by themselves). */
    void restoreNetwork(List<Node> side, List<Node> other) {
        network(side, other, false);
    }

    private static void network(List<Node> side, List<Node> other, boolean cut) {
        java.util.Set<NodeName> sideNames = side.stream().map(Node::nodeName).collect(java.util.stream.Collectors.toSet());
        java.util.Set<NodeName> otherNames = other.stream().map(Node::nodeName).collect(java.util.stream.Collectors.toSet());
        for (Node n : side) {
            io.trellis.cluster.ClusterNodeTestAccess.unreachable(n.cluster, otherNames, cut);
        }
        for (Node n : other) {
            io.trellis.cluster.ClusterNodeTestAccess.unreachable(n.cluster, sideNames, cut);
        }
    }

    /** A connected MQTT 5 client of {@code node}. */
    Mqtt5AsyncClient client(Node node, String clientId, boolean cleanStart, long sessionExpiry) {
        Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost(host).serverPort(node.mqttPort()).buildAsync();
        c.connectWith().cleanStart(cleanStart).sessionExpiryInterval(sessionExpiry).send().join();
        clients.add(c);
        return c;
    }

    Mqtt5AsyncClient client(Node node) {
        return client(node, "c-" + UUID.randomUUID(), true, 0);
    }

    /** Subscribes and collects payloads (as strings) of what arrives. */
    Queue<String> subscribe(Mqtt5AsyncClient c, String filter, MqttQos qos) {
        Queue<String> got = new ConcurrentLinkedQueue<>();
        c.subscribeWith().topicFilter(filter).qos(qos).callback(p -> got.add(payload(p))).send().join();
        return got;
    }

    static String payload(Mqtt5Publish p) {
        return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
    }

    void publish(Mqtt5AsyncClient c, String topic, String payload, MqttQos qos, boolean retain) {
        c.publishWith().topic(topic).payload(payload.getBytes(StandardCharsets.UTF_8)).qos(qos).retain(retain).send().join();
    }

    @Override
    public void close() {
        for (Mqtt5AsyncClient c : clients) {
            try {
                c.disconnect().get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already gone
            }
        }
        for (Node n : nodes) {
            if (n.stopped) {
                continue; // a closed cluster node cannot close again
            }
            if (n.cluster != null) {
                n.cluster.close();
            }
            if (n.mqtt != null) {
                n.mqtt.close();
            }
        }
    }
}

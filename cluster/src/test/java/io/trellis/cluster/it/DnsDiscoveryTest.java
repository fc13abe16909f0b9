package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.netty.handler.codec.dns.DnsRecordType;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.RpcPortDiscovery;
import io.trellis.cluster.discovery.Discovery;
import io.trellis.cluster.discovery.TestDnsServer;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.config.Secret;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code cluster.discovery_strategy = dns} with real nodes in one JVM, asking a
 * {@link TestDnsServer} through {@code cluster.dns.servers}: the production code path with
 * another server address.
 *
 * <p>With {@code a} / {@code aaaa} records a peer is dialled at {@code <short name>@<address>} on
 * 4370 + N, a port the test cannot choose: every node shares one short name {@code trellis<N>}
 * with a random N (a port below the ephemeral range) and binds its own loopback address from a
 * random 127.x.y.0/24 (all of 127/8 reaches this host on Linux), so no fixed address:port pair
 * can meet another test's. With {@code srv} records the port comes from DNS, so those nodes bind
 * random ports.
 */
class DnsDiscoveryTest {
    private static final Duration FORMED = Duration.ofSeconds(20);

    private final String zone = "t" + ThreadLocalRandom.current().nextInt(1_000_000) + ".trellis.test";
    private final int offset = 10_000 + ThreadLocalRandom.current().nextInt(17_000);
    private final String subnet = "127." + (1 + ThreadLocalRandom.current().nextInt(254)) + "." + ThreadLocalRandom.current().nextInt(256) + ".";
    private final List<Node> nodes = new ArrayList<>();
    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private TestDnsServer dns;
    private ListAppender<ILoggingEvent> logs;
    private Logger discoveryLog;

    /** One started node. */
    private record Node(NodeName name, String host, MqttServer mqtt, ClusterNode cluster) {
    }

    @BeforeEach
    void setUp() {
        dns = TestDnsServer.start();
        discoveryLog = (Logger) LoggerFactory.getLogger(Discovery.class);
        logs = new ListAppender<>();
        logs.start();
        discoveryLog.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        for (Mqtt5AsyncClient c : clients) {
            try {
                c.disconnect().get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already gone
            }
        }
        for (Node n : nodes) {
            n.cluster().close();
            n.mqtt().close();
        }
        discoveryLog.detachAppender(logs);
        dns.close();
    }

    @Test
    void aRecordsListingThreeAddressesFormTheMeshAndMessagesCrossIt() {
        String name = "nodes." + zone;
        dns.a(name, subnet + "2", subnet + "3", subnet + "4");
        for (int i = 2; i <= 4; i++) {
            start("trellis" + offset + "@" + subnet + i, subnet + i, NodeName.DIST_BASE_PORT + offset, "a", name, false);
        }
        awaitMesh();
        assertMessagesCross();
        assertThat(dns.timesAsked(name, DnsRecordType.A)).isGreaterThanOrEqualTo(3);
        assertThat(messages(Level.INFO)).as("each node found the two others, not itself")
                .filteredOn(m -> m.contains(name + " (cluster.dns.record_type = a): found")).hasSize(3)
                .allSatisfy(m -> assertThat(m).contains("trellis" + offset + "@" + subnet));
        assertThat(messages(Level.INFO)).noneMatch(m -> m.contains("cannot join itself"));
    }

    @Test
    void srvRecordsGiveNamesAndPortsAndTheTargetsResolveThroughTheSameServer() {
        String name = "_trellis._tcp." + zone;
        dns.srv(name, 4999, "_bad." + zone); // a target that cannot be a node's host: skipped, the rest joined
        for (int i = 1; i <= 3; i++) {
            String target = "node" + i + "." + zone;
            dns.a(target, "127.0.0.1");
            Node n = start("node" + i + "@" + target, "127.0.0.1", 0, "srv", name, false);
            dns.srv(name, n.cluster().distPort(), target); // the port is known once the node listens
        }
        awaitMesh();
        assertMessagesCross();
        assertThat(dns.timesAsked(name, DnsRecordType.SRV)).isGreaterThanOrEqualTo(3);
        for (int i = 1; i <= 3; i++) {
            assertThat(dns.timesAsked("node" + i + "." + zone, DnsRecordType.A)).as("node%d's host name asked of the test server", i)
                    .isGreaterThanOrEqualTo(1);
        }
        assertThat(messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains(
                "cluster.dns.name " + name + " (cluster.dns.record_type = srv): skipping a record that names no node",
                "'_bad." + zone + "' is not a valid host name"));
    }

    @Test
    void srvTargetsWithOnlyAaaaRecordsJoinOverIpv6() {
        Assumptions.assumeTrue(bindable("::1"), "::1 cannot be bound here");
        String name = "_trellis._tcp." + zone;
        for (int i = 1; i <= 2; i++) {
            String target = "v" + i + "." + zone;
            dns.aaaa(target, "::1");
            Node n = start("v" + i + "@" + target, "::1", 0, "srv", name, true);
            dns.srv(name, n.cluster().distPort(), target);
        }
        awaitMesh();
        assertMessagesCross();
        assertThat(dns.timesAsked("v1." + zone, DnsRecordType.AAAA)).isGreaterThanOrEqualTo(1);
        assertThat(dns.timesAsked("v2." + zone, DnsRecordType.AAAA)).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aaaaRecordsListingAnotherLocalIpv6AddressJoinIt() {
        Assumptions.assumeTrue(bindable("::1"), "::1 cannot be bound here");
        Optional<String> second = secondIpv6Address();
        Assumptions.assumeTrue(second.isPresent(), "no IPv6 address besides ::1 can be bound here: the two-node AAAA case cannot run"
                + " (srvTargetsWithOnlyAaaaRecordsJoinOverIpv6 covers AAAA look-ups, aaaaRecordsListingOnlyThisNode the AAAA question)");
        String name = "v6nodes." + zone;
        dns.aaaa(name, "::1", second.get());
        start("trellis" + offset + "@::1", "::1", NodeName.DIST_BASE_PORT + offset, "aaaa", name, true);
        start("trellis" + offset + "@" + second.get(), second.get(), NodeName.DIST_BASE_PORT + offset, "aaaa", name, true);
        awaitMesh();
        assertMessagesCross();
        assertThat(dns.timesAsked(name, DnsRecordType.A)).as("aaaa asks AAAA only").isZero();
    }

    @Test
    void aaaaRecordsListingOnlyThisNodeAreSkippedAndAskedAgain() {
        Assumptions.assumeTrue(bindable("::1"), "::1 cannot be bound here");
        String name = "self." + zone;
        dns.aaaa(name, "::1");
        Node alone = start("trellis" + offset + "@::1", "::1", NodeName.DIST_BASE_PORT + offset, "aaaa", name, true);
        // Asked again with backoff: 1 s, then 2 s.
        await().atMost(FORMED).until(() -> messages(Level.INFO).stream().anyMatch(m -> m.endsWith("asking again in 2s for the others")));
        assertThat(dns.timesAsked(name, DnsRecordType.AAAA)).isGreaterThanOrEqualTo(2);
        assertThat(messages(Level.INFO)).anySatisfy(m -> assertThat(m).contains(
                "cluster.dns.name " + name + " (cluster.dns.record_type = aaaa): the answer lists only this node (" + alone.name() + ")"));
        assertThat(messages(Level.INFO)).noneMatch(m -> m.contains("seed " + alone.name()));
        assertThat(alone.cluster().upNodes()).isEmpty();
        assertThat(dns.timesAsked(name, DnsRecordType.A)).isZero();
    }

    @Test
    void anUnknownNameLeavesTheNodesAloneUntilTheRecordsAppear() {
        String name = "late." + zone;
        start("trellis" + offset + "@" + subnet + "2", subnet + "2", NodeName.DIST_BASE_PORT + offset, "a", name, false);
        start("trellis" + offset + "@" + subnet + "3", subnet + "3", NodeName.DIST_BASE_PORT + offset, "a", name, false);
        String warning = "cluster.dns.name " + name + " (cluster.dns.record_type = a): the name does not exist (NXDOMAIN)";
        await().atMost(FORMED).until(() -> messages(Level.WARN).stream().filter(m -> m.startsWith(warning)).count() >= 2);
        assertThat(messages(Level.WARN)).filteredOn(m -> m.startsWith(warning))
                .allSatisfy(m -> assertThat(m).contains("this node runs alone for now, asking again in"));
        assertThat(nodes).allSatisfy(n -> assertThat(n.cluster().upNodes()).isEmpty());
        // ctl ports lists the DNS server a firewall must let the node reach
        assertThat(nodes.get(0).cluster().ports()).contains(new io.trellis.cluster.Cluster.PortInfo("dial",
                dns.address().getHostString(), dns.address().getPort(), "udp,tcp", "DNS discovery (cluster.dns.name)", null));
        long askedBefore = dns.timesAsked(name, DnsRecordType.A);
        assertThat(askedBefore).isGreaterThanOrEqualTo(2);

        dns.a(name, subnet + "2", subnet + "3");
        awaitMesh();
        // One node asking again is enough: the other is joined by it rather than by its own look-up.
        assertThat(dns.timesAsked(name, DnsRecordType.A)).isGreaterThan(askedBefore);
    }

    @Test
    void aNameWithRecordsOfAnotherTypeOnlyIsNoAnswer() {
        String name = "wrongtype." + zone;
        dns.aaaa(name, "fd00::99");
        start("trellis" + offset + "@" + subnet + "2", subnet + "2", NodeName.DIST_BASE_PORT + offset, "a", name, false);
        String warning = "cluster.dns.name " + name + " (cluster.dns.record_type = a): the name has no A records;"
                + " this node runs alone for now, asking again in";
        await().atMost(FORMED).until(() -> messages(Level.WARN).stream().anyMatch(m -> m.startsWith(warning)));
        assertThat(dns.timesAsked(name, DnsRecordType.AAAA)).isZero();
    }

    @Test
    void aDnsServerThatNeverAnswersIsNamedAsTheProblem() throws Exception {
        String name = "silent." + zone;
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            NodeName nodeName = NodeName.parse("trellis" + offset + "@" + subnet + "2");
            ClusterSettings settings = settings(nodeName, subnet + "2", "a", name, false)
                    .withDnsServers(List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            start(settings, subnet + "2", NodeName.DIST_BASE_PORT + offset);
            await().atMost(FORMED).until(() -> messages(Level.WARN).stream().anyMatch(m -> m.equals("cluster.dns.name " + name
                    + " (cluster.dns.record_type = a): no DNS server answered in time (check cluster.dns.servers or /etc/resolv.conf);"
                    + " this node runs alone for now, asking again in 1s")));
        }
    }

    // ------------------------------------------------------------------------------------------

    private Node start(String nodeName, String host, int distPort, String recordType, String dnsName, boolean ipv6) {
        ClusterSettings settings = settings(NodeName.parse(nodeName), host, recordType, dnsName, ipv6)
                .withDnsServers(List.of(dns.address()));
        return start(settings, host, distPort);
    }

    /** DNS discovery with the harness's timings, asking the system's servers until withDnsServers. */
    private static ClusterSettings settings(NodeName name, String host, String recordType, String dnsName, boolean ipv6) {
        return new ClusterSettings(name, new Secret(ClusterHarness.COOKIE), ClusterSettings.DiscoveryStrategy.DNS,
                List.of(), dnsName, recordType, ipv6, host, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofHours(1), true,
                RpcPortDiscovery.STATELESS, 5369, host, 2, Duration.ofSeconds(2), Duration.ofSeconds(5), TransportSecurity.PLAIN);
    }

    private Node start(ClusterSettings settings, String host, int distPort) {
        NodeName name = settings.node();
        MqttServer mqtt = new MqttServer(BrokerSettings.defaults(), List.of(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                new InetSocketAddress(host, 0), null, null, 10_000)));
        mqtt.start();
        ClusterNode cluster = new ClusterNode(settings, mqtt, "test-1.0", new InetSocketAddress(host, distPort), new InetSocketAddress(host, 0));
        Node node = new Node(name, host, mqtt, cluster);
        nodes.add(node);
        cluster.start();
        return node;
    }

    /** Every node sees every other up, holds its routes and forwards to it. */
    private void awaitMesh() {
        await().atMost(FORMED).until(() -> nodes.stream().allMatch(a -> nodes.stream()
                .allMatch(b -> a == b || (a.cluster().upNodes().contains(b.name()) && a.cluster().hasRoutesOf(b.name())
                        && a.cluster().forwardsTo(b.name())))));
    }

    /** A message published on each node reaches a subscriber on every other node. */
    private void assertMessagesCross() {
        List<Queue<String>> received = new ArrayList<>();
        List<Mqtt5AsyncClient> mine = new ArrayList<>();
        for (Node n : nodes) {
            Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier("dns-" + n.name().name() + "-" + nodes.indexOf(n))
                    .serverHost(n.host()).serverPort(n.mqtt().boundListeners().get(0).port()).buildAsync();
            c.connect().join();
            clients.add(c);
            mine.add(c);
            Queue<String> got = new ConcurrentLinkedQueue<>();
            c.subscribeWith().topicFilter("dns/#").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(p -> got.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8))).send().join();
            received.add(got);
        }
        await().atMost(FORMED).until(() -> nodes.stream().allMatch(a -> nodes.stream()
                .allMatch(b -> a == b || a.cluster().routeCount(b.name()) >= 1)));
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            String payload = "from " + nodes.get(i).name();
            sent.add(payload);
            mine.get(i).publishWith().topic("dns/" + i).payload(payload.getBytes(StandardCharsets.UTF_8))
                    .qos(MqttQos.AT_LEAST_ONCE).send().join();
        }
        for (Queue<String> got : received) {
            await().atMost(FORMED).untilAsserted(() -> assertThat(got).containsExactlyInAnyOrderElementsOf(sent));
        }
    }

    private List<String> messages(Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            if (e.getLevel().equals(level) && e.getFormattedMessage().contains(zone)) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    private static boolean bindable(String ip) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A global or unique-local IPv6 address of this host other than ::1, that a socket can bind. */
    private static Optional<String> secondIpv6Address() {
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet6Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress()) {
                        String literal = io.netty.util.NetUtil.toAddressString(a);
                        if (bindable(literal)) {
                            return Optional.of(literal);
                        }
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}

package io.trellis.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterSettingsTest {
    private static final String COOKIE = "Rt5Yh8Jk2Lp0Qw3Er6Ty9Ui1Op4As7Df";

    private static ClusterSettings settings(String hocon) throws ConfigException {
        return ClusterSettings.from(TrellisConfig.parse(hocon, "test.conf", Map.of()));
    }

    private static ConfigException problems(String hocon) {
        return catchThrowableOfType(ConfigException.class, () -> settings(hocon));
    }

    @Test
    void defaultsAreEmqxsAndTheHeartbeatIsOneSecond() throws Exception {
        ClusterSettings s = settings("");
        assertThat(s.node()).isEqualTo(NodeName.parse("trellis@127.0.0.1"));
        assertThat(s.discovery()).isEqualTo(ClusterSettings.DiscoveryStrategy.MANUAL);
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.nodeDownTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.autoclean()).isEqualTo(Duration.ofHours(24));
        assertThat(s.rpcPortDiscovery()).isEqualTo(RpcPortDiscovery.STATELESS);
        assertThat(s.rpcServerPort()).isEqualTo(5369);
        assertThat(s.rpcClientNum()).isEqualTo(10);
        assertThat(s.authenticationTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.clusteringDecision().allowed()).as("no cookie by default").isFalse();
    }

    @Test
    void aGoodClusterConfigLoadsAndNeverPrintsTheCookie() throws Exception {
        ClusterSettings s = settings("node { name = \"t2@10.0.0.2\", cookie = \"" + COOKIE + "\" }\n"
                + "cluster { discovery_strategy = static, static.seeds = [\"t1@10.0.0.1\", \"t3@10.0.0.3\"] }\n"
                + "cluster.proto_dist = inet6_tcp");
        assertThat(s.staticSeeds()).containsExactly(NodeName.parse("t1@10.0.0.1"), NodeName.parse("t3@10.0.0.3"));
        assertThat(s.ipv6Dist()).isTrue();
        assertThat(s.distBindAddress()).isEqualTo("::");
        assertThat(s.clusteringDecision().allowed()).isTrue();
        assertThat(s.toString()).doesNotContain(COOKIE);
    }

    @Test
    void crossKeyProblemsAreReportedTogetherNamingTheKeys() {
        ConfigException e = problems("node.name = \"t@256.0.0.1\"\n"
                + "cluster { static.seeds = [\"ok@h\", \"bad@-x\"], heartbeat_interval = 2s, node_down_timeout = 5s }\n"
                + "node.dist_bind_address = \"::1\"");
        assertThat(e.problems()).hasSize(4);
        assertThat(e.getMessage()).contains(
                "node.name: node name 't@256.0.0.1' is invalid: '256.0.0.1' is not a valid IPv4 address",
                "cluster.static.seeds: node name 'bad@-x' is invalid",
                "cluster.node_down_timeout: 5s is less than 3 x cluster.heartbeat_interval (2s)",
                "node.dist_bind_address: '::1' is an IPv6 address but cluster.proto_dist = inet_tcp");
    }

    @Test
    void staticWithoutSeedsAndSingletonAreExplained() throws Exception {
        assertThat(problems("cluster.discovery_strategy = static").getMessage())
                .contains("cluster.static.seeds: is empty while cluster.discovery_strategy = static");
        assertThat(problems("cluster.static.seeds = [\"no-at-sign\"]").getMessage()).contains("cluster.static.seeds", "name@host");
        ClusterSettings single = settings("node.cookie = \"" + COOKIE + "\"\ncluster.discovery_strategy = singleton");
        assertThat(single.clusteringDecision().reason()).contains("singleton");
    }

    @Test
    void dnsServersAreIpAddressesWithOptionalPortsAndEmptyMeansTheSystems() throws Exception {
        assertThat(settings("").dnsServers()).as("empty: /etc/resolv.conf").isEmpty();
        ClusterSettings s = settings("cluster { discovery_strategy = dns, dns.name = \"nodes.example.com\",\n"
                + " dns.servers = [\"10.0.0.2\", \"127.0.0.1:8600\", \"fd00::53\", \"[fd00::54]:5353\"] }");
        assertThat(s.dnsServers()).containsExactly(new InetSocketAddress("10.0.0.2", 53), new InetSocketAddress("127.0.0.1", 8600),
                new InetSocketAddress("fd00::53", 53), new InetSocketAddress("fd00::54", 5353));
        assertThat(s.toString()).contains("dns=a nodes.example.com via [");
    }

    @Test
    void aDnsServerThatIsNotAnAddressIsRefusedNamingTheKey() {
        for (String bad : new String[] {"dns.example.com", "10.0.0.2:0", "10.0.0.2:70000", "[fd00::53", "fd00::53]:53", "10.0.0.256"}) {
            assertThat(problems("cluster.dns.servers = [\"" + bad + "\"]").getMessage()).as(bad)
                    .contains("cluster.dns.servers", "IP address");
        }
        assertThat(ClusterSettings.dnsServer("[fd00::53]x")).isNull();
        assertThat(ClusterSettings.dnsServer("[fd00::53]:")).isNull();
        assertThat(ClusterSettings.dnsServer("10.0.0.1")).isEqualTo(new InetSocketAddress("10.0.0.1", 53));
    }
}

package io.trellis.server.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.config.TrellisConfig;
import io.trellis.security.ssrf.SsrfPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generated rules as text: ports from node names, the metadata endpoints, the AWS IMDS exception. */
class FirewallRulesTest {

    private static FirewallPlan plan(String hocon, List<String> allow, boolean imds) throws Exception {
        TrellisConfig c = TrellisConfig.parse(hocon, "test", Map.of());
        return FirewallPlan.from(c, SsrfPolicy.builder().enable(true).build(), List.of("trellis3@[2001:db8::3]"),
                allow.stream().map(FirewallPlan.Target::parse).toList(), imds);
    }

    @Test
    void portsFollowTheNodeNamesSuffixAndManualRpc() throws Exception {
        FirewallPlan p = plan("node.name = \"trellis2@192.0.2.1\"\ncluster.static.seeds = [\"trellis1@192.0.2.9\"]\n", List.of(), false);
        assertThat(p.clusterPorts()).containsExactly(4372, 5372);
        assertThat(p.peers()).extracting(FirewallPlan.Peer::host, FirewallPlan.Peer::ports)
                .contains(org.assertj.core.groups.Tuple.tuple("192.0.2.9", List.of(4371, 5371)));
        FirewallPlan manual = plan("node.name = \"trellis2@192.0.2.1\"\nrpc.port_discovery = manual\nrpc.server_port = 5369\n",
                List.of(), false);
        assertThat(manual.clusterPorts()).containsExactly(4372, 5369);
    }

    @Test
    void iptablesRejectsMetadataEndpointsUnlessTheImdsExceptionIsAsked() throws Exception {
        String strict = FirewallRules.iptables(plan("node.name = \"trellis@192.0.2.1\"\n", List.of("198.51.100.10:443"), false), false);
        assertThat(strict).contains("-A TRELLIS-EGRESS -d 169.254.169.254/32 -j REJECT")
                .contains("-A TRELLIS-EGRESS -d 100.100.100.200/32 -j REJECT")
                .contains("-A TRELLIS-EGRESS -p tcp -d 198.51.100.10 --dport 443 -j ACCEPT")
                .contains("-A TRELLIS-EGRESS -m conntrack --ctstate NEW -j REJECT")
                .doesNotContain("2001:db8::3").endsWith("COMMIT\n");
        String imds = FirewallRules.iptables(plan("node.name = \"trellis@192.0.2.1\"\n", List.of(), true), false);
        assertThat(imds).contains("-p tcp -d 169.254.169.254 --dport 80 -j ACCEPT")
                .doesNotContain("-d 169.254.169.254/32 -j REJECT");
        // the allow comes before the blanket 169.254.0.0/16 reject
        assertThat(imds.indexOf("169.254.169.254 --dport 80 -j ACCEPT")).isLessThan(imds.indexOf("-d 169.254.0.0/16 -j REJECT"));
    }

    @Test
    void ip6tablesAndNftablesCarryTheIpv6MetadataEndpointAndPeers() throws Exception {
        FirewallPlan p = plan("node.name = \"trellis@192.0.2.1\"\n", List.of(), false);
        assertThat(FirewallRules.iptables(p, true)).contains("-d fd00:ec2::254/128 -j REJECT")
                .contains("-s 2001:db8::3 -m multiport --dports 4370,5370 -j ACCEPT").doesNotContain("127.0.0.0/8");
        assertThat(FirewallRules.nftables(p)).contains("ip6 daddr fd00:ec2::254/128 reject")
                .contains("ip6 daddr 2001:db8::3 tcp dport { 4373, 5373 } accept")
                .contains("ip daddr 127.0.0.0/8 reject");
    }

    @Test
    void dnsServersOnOtherPortsThan53AreReachable() throws Exception {
        FirewallPlan p = plan("node.name = \"trellis@192.0.2.1\"\ncluster.dns.servers = [\"127.0.0.1:8600\", \"10.0.0.2\", \"[fd00::53]:5353\"]\n",
                List.of(), false);
        assertThat(p.dnsServers()).extracting(FirewallPlan.Target::address, FirewallPlan.Target::port)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("127.0.0.1", 8600), org.assertj.core.groups.Tuple.tuple("fd00::53", 5353));
        String v4 = FirewallRules.iptables(p, false);
        assertThat(v4).contains("-A TRELLIS-EGRESS -p udp -d 127.0.0.1 --dport 8600 -j ACCEPT")
                .contains("-A TRELLIS-EGRESS -p tcp -d 127.0.0.1 --dport 8600 -j ACCEPT").doesNotContain("5353");
        // before the blanket reject of new connections
        assertThat(v4.indexOf("--dport 8600 -j ACCEPT")).isLessThan(v4.indexOf("--ctstate NEW -j REJECT"));
        assertThat(FirewallRules.iptables(p, true)).contains("-p udp -d fd00::53 --dport 5353 -j ACCEPT");
        assertThat(FirewallRules.nftables(p)).contains("ip daddr 127.0.0.1 meta l4proto { tcp, udp } th dport 8600 accept");
    }

    @Test
    void aBadAllowTargetNamesTheOption() {
        assertThatThrownBy(() -> FirewallPlan.Target.parse("198.51.100.10:99999")).hasMessageContaining("--allow 198.51.100.10:99999");
    }
}

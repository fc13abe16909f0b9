package io.trellis.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeNameTest {

    @ParameterizedTest(name = "{0} -> offset {1}")
    @CsvSource({
            "emqx@h, 0", "emqx1@h, 1", "emqx-1@h, 1", "emqx01@h, 1", "emqx1a@h, 0", "emqx-core-2@h, 2",
            "trellis@127.0.0.1, 0", "n59999@h, 59999", "n60000@h, 0", "n60001@h, 1",
            "n99999999999999999999999@h, 39999"})
    void offsetIsTheTrailingDigitsModulo60000(String text, int offset) {
        NodeName node = NodeName.parse(text);
        assertThat(node.offset()).isEqualTo(offset);
        assertThat(node.distPort()).isEqualTo(4370 + offset);
        assertThat(node.rpcPort(RpcPortDiscovery.STATELESS, 5369)).isEqualTo(5370 + offset);
        assertThat(node.rpcPort(RpcPortDiscovery.MANUAL, 5369)).isEqualTo(5369);
    }

    @Test
    void hostsOfEveryKindParseAndHostCaseDoesNotMatter() {
        assertThat(NodeName.parse("t1@10.0.0.1").host()).isEqualTo("10.0.0.1");
        assertThat(NodeName.parse("t1@::1").host()).isEqualTo("::1");
        assertThat(NodeName.parse("t1@[::1]")).isEqualTo(NodeName.parse("t1@::1"));
        assertThat(NodeName.parse("t1@::1").hostIsIpv6()).isTrue();
        assertThat(NodeName.parse("t1@Node-1.Example.COM")).isEqualTo(NodeName.parse("t1@node-1.example.com"));
        assertThat(NodeName.parse("t1@localhost").toString()).isEqualTo("t1@localhost");
        assertThat(NodeName.parse("T1@h")).isNotEqualTo(NodeName.parse("t1@h"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "trellis | has no @",
            "a@b@c | more than one @",
            "@host | letters, digits",
            "tr ellis@h | letters, digits",
            "t@ | host after @ is empty",
            "t@256.1.1.1 | not a valid IPv4 address",
            "t@10.0.0 | not a valid IPv4 address",
            "t@::g | not a valid IPv6 address",
            "t@fe80::1%eth0 | not a valid IPv6 address",
            "t@-bad.example | not a valid host name",
            "t@host. | not a valid host name",
            "t@ho_st | not a valid host name"})
    void badNamesAreRefusedSayingWhy(String text, String why) {
        assertThatThrownBy(() -> NodeName.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node name '" + text + "'")
                .hasMessageContaining(why);
    }

    @Test
    void overlongNamesAreRefused() {
        String longHost = ("a".repeat(60) + ".").repeat(4) + "com";
        assertThatThrownBy(() -> NodeName.parse("n".repeat(20) + "@" + longHost))
                .hasMessageContaining("longer than 200 bytes");
    }

    @Test
    void socketAddressKeepsIpLiteralsAndLeavesHostNamesToTheDiallersResolver() {
        assertThat(NodeName.socketAddress("10.0.0.1", 4371).isUnresolved()).isFalse();
        assertThat(NodeName.socketAddress("::1", 4371).getAddress().isLoopbackAddress()).isTrue();
        assertThat(NodeName.socketAddress("[fd00::5]", 4371).getAddress()).isEqualTo(NodeName.socketAddress("fd00::5", 4371).getAddress());
        assertThat(NodeName.socketAddress("trellis1.nodes.example.com", 4371))
                .satisfies(a -> assertThat(a.isUnresolved()).isTrue())
                .satisfies(a -> assertThat(a.getHostString()).isEqualTo("trellis1.nodes.example.com"))
                .satisfies(a -> assertThat(a.getPort()).isEqualTo(4371));
    }
}

package io.trellis.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PortPlanTest {
    private final PortPlan stateless = new PortPlan(RpcPortDiscovery.STATELESS, 5369);

    @Test
    void sameOffsetOnOneHostClashesOnBothChannels() {
        List<PortPlan.PortClash> clashes = stateless.clashes(NodeName.parse("trellis1@h"), List.of(NodeName.parse("trellis01@h")));
        assertThat(clashes).extracting(PortPlan.PortClash::port).containsExactly(4371, 5371);
        assertThat(clashes.get(0).message())
                .isEqualTo("trellis01@h and trellis1@h both map to port 4371 (distribution) on host h:"
                        + " rename one so the trailing digits of the names differ (the port is 4370/5370 + those digits)");
    }

    @Test
    void distinctOffsetsOrDistinctHostsDoNotClash() {
        assertThat(stateless.clashes(NodeName.parse("trellis1@h"),
                List.of(NodeName.parse("trellis2@h"), NodeName.parse("trellis01@other"), NodeName.parse("trellis1@h")))).isEmpty();
    }

    @Test
    void manualRpcPortsClashForAnyTwoNodesOnOneHost() {
        PortPlan manual = new PortPlan(RpcPortDiscovery.MANUAL, 5369);
        List<PortPlan.PortClash> clashes = manual.clashes(NodeName.parse("a1@h"), List.of(NodeName.parse("a2@h")));
        assertThat(clashes).singleElement().satisfies(c -> {
            assertThat(c.port()).isEqualTo(5369);
            assertThat(c.message()).contains("a1@h and a2@h both map to port 5369 (cluster RPC)", "rpc.port_discovery = manual");
        });
    }

    @Test
    void aDistributionPortCanClashWithAnotherNodesRpcPort() {
        List<PortPlan.PortClash> clashes = stateless.clashes(NodeName.parse("n@h"), List.of(NodeName.parse("n1000@h")));
        assertThat(clashes).singleElement().satisfies(c -> {
            assertThat(c.port()).isEqualTo(5370);
            assertThat(c.message()).contains("distribution of n1000@h", "cluster RPC of n@h").doesNotContain("manual");
        });
    }

    @Test
    void portsListsBothChannels() {
        assertThat(stateless.ports(NodeName.parse("t3@h"))).extracting(PortPlan.ChannelPort::port).containsExactly(4373, 5373);
    }
}

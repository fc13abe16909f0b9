package io.trellis.cluster.it;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Nodes that join one node at the same moment still end up connected to each other. */
class ConcurrentJoinTest {

    @Test
    void nodesJoiningTheFirstAtOnceFormAFullMesh() {
        for (int round = 0; round < 10; round++) {
            try (ClusterHarness h = new ClusterHarness("127.0.0.1", 2)) {
                for (int i = 1; i <= 4; i++) {
                    h.add("n" + i, ClusterHarness.COOKIE);
                }
                ClusterHarness.Node first = h.node(1);
                CompletableFuture.allOf(h.nodes.stream().skip(1)
                        .map(n -> n.cluster.join(first.nodeName(), first.distAddress()))
                        .toArray(CompletableFuture[]::new)).join();
                h.awaitMesh();
            }
        }
    }
}

package io.trellis.cluster;

import io.trellis.cluster.distribution.DistributionTestAccess;

/** Test access to a node's distribution: cut the link to a peer (a partition, healed by reconnection). */
public final class ClusterNodeTestAccess {
    private ClusterNodeTestAccess() {
    }

    public static void cutLink(ClusterNode node, NodeName peer) {
        DistributionTestAccess.dropConnection(node.distribution(), peer);
    }
}

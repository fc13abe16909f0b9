package io.trellis.cluster;

import io.trellis.cluster.distribution.DistributionTestAccess;
import java.util.Set;

/** Test access to a node's distribution: cut the link to a peer (healed by reconnection), or partition it away. */
public final class ClusterNodeTestAccess {
    private ClusterNodeTestAccess() {
    }

    public static void cutLink(ClusterNode node, NodeName peer) {
        DistributionTestAccess.dropConnection(node.distribution(), peer);
    }

    /**
     * Cuts (true) or restores (false) the network between {@code node} and {@code peers}. Cluster
     * RPC follows: a node closes its forwarder to a peer that is down and opens one again only
     * after the peer's NODE_INFO on a new distribution connection.
     */
    public static void unreachable(ClusterNode node, Set<NodeName> peers, boolean cut) {
        DistributionTestAccess.unreachable(node.distribution(), peers, cut);
    }
}

package io.trellis.cluster.distribution;

import io.trellis.cluster.NodeName;
import java.util.Set;

/** Lets tests outside this package cut distribution connections as a network failure would. */
public final class DistributionTestAccess {
    private DistributionTestAccess() {
    }

    public static void dropConnection(Distribution d, NodeName peer) {
        d.dropConnectionForTest(peer);
    }

    /** Cuts (or restores) this node's network to {@code peers}: a partition that lasts until restored. */
    public static void unreachable(Distribution d, Set<NodeName> peers, boolean cut) {
        d.unreachableForTest(peers, cut);
    }
}

package io.trellis.cluster.distribution;

import io.trellis.cluster.NodeName;

/** Lets tests outside this package cut a distribution connection as a network failure would. */
public final class DistributionTestAccess {
    private DistributionTestAccess() {
    }

    public static void dropConnection(Distribution d, NodeName peer) {
        d.dropConnectionForTest(peer);
    }
}

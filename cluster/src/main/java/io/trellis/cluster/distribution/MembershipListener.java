package io.trellis.cluster.distribution;

import io.trellis.cluster.NodeName;

/**
 * Told when a peer comes up (authenticated distribution connection) or goes down. Called on one
 * membership thread, in order; must not block for long.
 */
public interface MembershipListener {
    default void nodeUp(NodeName node) {
    }

    /** @param reason operator words: "connection closed", "no heartbeat for 10s", "left the cluster" */
    default void nodeDown(NodeName node, String reason) {
    }
}

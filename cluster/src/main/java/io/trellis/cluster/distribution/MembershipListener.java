package io.trellis.cluster.distribution;

import io.trellis.cluster.NodeName;

/**
 * Told when a peer comes up (authenticated distribution connection) or goes down. Called on one
 * membership thread, in order; must not block for long.
 */
public interface MembershipListener {
    default void nodeUp(NodeName node) {
    }

    /**
     * The peer stays up but its connection was replaced by another (both nodes dialled at once).
     * Messages sent on the old connection may be lost, and the peer may have seen that connection
     * up and down: state sent on node up has to be sent again.
     */
    default void connectionReplaced(NodeName node) {
    }

    /** @param reason operator words: "connection closed", "no heartbeat for 10s", "left the cluster" */
    default void nodeDown(NodeName node, String reason) {
    }
}

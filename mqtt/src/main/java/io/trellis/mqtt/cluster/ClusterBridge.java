package io.trellis.mqtt.cluster;

import io.trellis.mqtt.broker.Message;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the broker tells the cluster (the broker-to-cluster half of the seam). Every method is
 * called on broker threads (connection event loops): an implementation must not block. The
 * default methods do nothing, so {@link #NONE} leaves a single node exactly as it was.
 */
public interface ClusterBridge {
    /** No cluster: every call is a no-op. */
    ClusterBridge NONE = new ClusterBridge() {
    };

    /** This node's first subscriber of a (non-shared) filter. */
    default void routeAdded(String filter) {
    }

    /** This node's last subscriber of a (non-shared) filter left. */
    default void routeRemoved(String filter) {
    }

    /** This node's first member of share group {@code group} on {@code filter}. */
    default void sharedRouteAdded(String group, String filter) {
    }

    /** This node's last member of share group {@code group} on {@code filter} left. */
    default void sharedRouteRemoved(String group, String filter) {
    }

    /**
     * A published message matched a share group with members on this node. Returns true when the
     * cluster picked a member on another node and sent the message there (the local group must
     * not deliver it), false to deliver locally.
     */
    default boolean forwardShared(String group, String filter, Message message) {
        return false;
    }

    /**
     * A message published on this node, after local delivery: the cluster sends it to the
     * remote nodes with a matching route (and to share groups that have no member here).
     * Returns the number of remote nodes it was sent to.
     */
    default int published(Message message) {
        return 0;
    }

    /** A retained message was stored on this node by a publish here. */
    default void retainedSet(Message message) {
    }

    /** A retained message was deleted on this node by a publish here (empty payload). */
    default void retainedDeleted(String topic) {
    }

    /**
     * A client id is connecting here; called before the session is claimed, on the connection's
     * event loop, which it must not block. Completes (on any thread) with the session state taken
     * over from another node (null when there is none, or with clean start), after the other
     * node has disconnected its client.
     */
    default CompletionStage<SessionState> connecting(String clientId, boolean cleanStart) {
        return CompletableFuture.completedFuture(null);
    }
}

package io.trellis.mqtt.rules;

import io.trellis.mqtt.broker.Message;

/**
 * What the broker tells the rule engine: every message published on this node (by a client, a
 * will, the API or the broker itself), once, before it is routed. Called on the publishing thread
 * (a connection's event loop): an implementation must not block. Mirrors the cluster seam
 * ({@code io.trellis.mqtt.cluster.ClusterBridge}): {@link #NONE} by default, so a broker without
 * rules pays one volatile read per message.
 */
@FunctionalInterface
public interface PublishListener {
    /** No rule engine: does nothing. */
    PublishListener NONE = message -> {
    };

    void published(Message message);
}

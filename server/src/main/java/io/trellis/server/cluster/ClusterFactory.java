package io.trellis.server.cluster;

import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.mqtt.MqttServer;

/**
 * Makes the node's {@link Cluster} once clustering is allowed (not singleton, a usable cookie).
 * The node calls it after the MQTT server has started, so the cluster can hook into the broker.
 */
@FunctionalInterface
public interface ClusterFactory {

    /**
     * @param settings the cluster keys of the node's config; clustering is allowed
     * @param mqtt     the started MQTT server the cluster forwards to and from
     * @param version  the Trellis version this node runs, for peers' status
     */
    Cluster create(ClusterSettings settings, MqttServer mqtt, String version);

    /** The factory {@code trellis start} uses: {@link ClusterNode}, membership and data plane. */
    static ClusterFactory standard() {
        return ClusterNode::new;
    }
}

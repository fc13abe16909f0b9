/**
 * The seam between the broker and the cluster. {@link io.trellis.mqtt.cluster.ClusterBridge} is
 * what the broker calls (routes added and removed, every publish, retained set and delete, a
 * client connecting); the broker's public methods ({@code Broker.deliverForwarded},
 * {@code deliverShared}, {@code localFilters}, {@code localSharedRoutes}, {@code retained()},
 * {@code exportSession}, {@code importSession}) are what the cluster calls. The bridge is
 * {@link io.trellis.mqtt.cluster.ClusterBridge#NONE} until {@code MqttServer.installCluster}, so a
 * single node is unchanged.
 */
package io.trellis.mqtt.cluster;

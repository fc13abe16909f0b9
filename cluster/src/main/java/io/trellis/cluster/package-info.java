/**
 * The cluster: node names and ports, the cookie handshake on both inter-node channels
 * (distribution and cluster RPC), membership, route replication and message forwarding.
 * {@link io.trellis.cluster.ClusterNode} implements the {@link io.trellis.cluster.Cluster}
 * contract on top of {@code distribution} (membership), {@code data} (routes, retained messages,
 * client registry and session takeover, replicated over distribution), {@code forward} (FORWARD
 * frames over {@code rpc}) and {@code discovery} (static seeds, DNS); it plugs into the broker
 * through {@code io.trellis.mqtt.cluster.ClusterBridge}.
 */
package io.trellis.cluster;

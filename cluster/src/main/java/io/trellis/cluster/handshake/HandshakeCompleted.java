package io.trellis.cluster.handshake;

import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;

/**
 * User event fired down the pipeline when both sides have proved the cookie. Only after it do
 * reads reach the handlers behind the handshake, and may they write.
 */
public record HandshakeCompleted(NodeName peer, ClusterChannel channel, Role localRole, int protocolVersion) {
}

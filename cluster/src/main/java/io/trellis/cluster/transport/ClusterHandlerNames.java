package io.trellis.cluster.transport;

/**
 * Names of the stages of an inter-node channel's pipeline, in order (HiveMQ's ChannelHandlerNames).
 * {@link #TLS} is reserved: TLS comes first when it is on (next issue), before the handshake.
 */
public final class ClusterHandlerNames {
    public static final String TLS = "cluster-tls";
    public static final String HANDSHAKE_FRAME_DECODER = "cluster-handshake-frame-decoder";
    public static final String HANDSHAKE = "cluster-handshake";
    public static final String FRAME_DECODER = "cluster-frame-decoder";
    public static final String FRAME_ENCODER = "cluster-frame-encoder";
    /** Added after the handshake: heartbeats when the writer is idle, node down when the reader is. */
    public static final String IDLE = "cluster-idle";
    public static final String APPLICATION = "cluster-application";

    private ClusterHandlerNames() {
    }
}

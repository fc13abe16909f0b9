package io.trellis.cluster.transport;

/**
 * Names of the stages of an inter-node channel's pipeline, in order (HiveMQ's ChannelHandlerNames).
 * {@link #TLS} comes first when TLS is on, before the handshake; {@link #PLAIN_GUARD} when it is off.
 */
public final class ClusterHandlerNames {
    public static final String TLS = "cluster-tls";
    /** Behind TLS: maps a failed TLS handshake to the refusal's cause. */
    public static final String TLS_GUARD = "cluster-tls-guard";
    /** First on a plain channel: a TLS ClientHello there is refused as "peer is using TLS". */
    public static final String PLAIN_GUARD = "cluster-plain-guard";
    /** Coalesces flushes of many small frames (one TLS record for many frames). */
    public static final String FLUSH_CONSOLIDATION = "cluster-flush-consolidation";
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

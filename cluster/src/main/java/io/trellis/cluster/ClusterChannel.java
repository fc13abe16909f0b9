package io.trellis.cluster;

/**
 * The two inter-node channels (DESIGN.md). The wire code is part of the handshake transcript
 * and of HELLO, so released codes are never reused.
 */
public enum ClusterChannel {
    /** Membership, heartbeats, route replication, management calls: port 4370 + N. */
    DIST(1, "distribution"),
    /** Message forwarding: port 5370 + N or rpc.server_port. */
    RPC(2, "cluster RPC");

    private final int wireCode;
    private final String description;

    ClusterChannel(int wireCode, String description) {
        this.wireCode = wireCode;
        this.description = description;
    }

    public int wireCode() {
        return wireCode;
    }

    /** Operator words: "distribution", "cluster RPC". */
    public String description() {
        return description;
    }

    /** The channel with this wire code, or null when the code is unknown. */
    public static ClusterChannel fromWireCode(int code) {
        for (ClusterChannel c : values()) {
            if (c.wireCode == code) {
                return c;
            }
        }
        return null;
    }
}

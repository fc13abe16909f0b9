package io.trellis.cluster.handshake;

/**
 * Why a handshake failed, in words an operator understands. The wire code travels in the
 * refusal frame so the dialler (and {@code ctl cluster join}) can say "cookie mismatch" rather
 * than "node down". Released codes are never reused.
 */
public enum HandshakeFailure {
    /** The peer's proof does not match: the two nodes have different node.cookie values. */
    COOKIE_MISMATCH(1, "cookie mismatch", "give both nodes the same node.cookie"),
    /** The dialler expected another node at this address. */
    UNEXPECTED_NODE_NAME(2, "unexpected node name", "check the node name you join or the seed list: name@host must be the peer's node.name"),
    /** The handshake did not complete within rpc.authentication_timeout. */
    HANDSHAKE_TIMEOUT(3, "handshake timeout", "check the network between the nodes, or raise rpc.authentication_timeout"),
    /** No protocol version both nodes speak. */
    PROTOCOL_VERSION(4, "protocol version", "run compatible Trellis versions on both nodes"),
    /** A distribution dialler reached a cluster RPC port, or the reverse. */
    CHANNEL_MISMATCH(5, "channel mismatch", "check the port: distribution is 4370 + N, cluster RPC 5370 + N (or rpc.server_port)"),
    /** Bytes that are not a Trellis handshake, or a frame over the size limit. */
    MALFORMED(6, "malformed handshake", "check that the port belongs to a Trellis node of a compatible version"),
    /** The connection closed before the handshake completed, without a reason from the peer. */
    CONNECTION_CLOSED(7, "connection closed during handshake", "check the peer's log for why it closed the connection");

    private final int wireCode;
    private final String words;
    private final String fix;

    HandshakeFailure(int wireCode, String words, String fix) {
        this.wireCode = wireCode;
        this.words = words;
        this.fix = fix;
    }

    public int wireCode() {
        return wireCode;
    }

    /** Operator words, e.g. "cookie mismatch". */
    public String words() {
        return words;
    }

    /** What to change, e.g. "give both nodes the same node.cookie". */
    public String fix() {
        return fix;
    }

    /** The failure with this wire code; unknown codes (a newer peer) read as MALFORMED. */
    public static HandshakeFailure fromWireCode(int code) {
        for (HandshakeFailure f : values()) {
            if (f.wireCode == code) {
                return f;
            }
        }
        return MALFORMED;
    }

    @Override
    public String toString() {
        return words;
    }
}

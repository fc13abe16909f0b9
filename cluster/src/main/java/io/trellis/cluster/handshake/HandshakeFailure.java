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
    CONNECTION_CLOSED(7, "connection closed during handshake", "check the peer's log for why it closed the connection"),

    // TLS between nodes: decided by the transport (ClusterChannelInitializer's guards), never told in a refusal frame
    // except PEER_EXPECTS_TLS, which a TLS acceptor sends in plain bytes to a plain dialler.
    /** This node speaks TLS on the channel, the peer sent plain bytes. */
    PEER_NOT_TLS(8, "peer speaks plain TCP, this node expects TLS",
            "use the same rpc.driver (cluster RPC) and cluster.proto_dist (distribution) on every node: ssl / inet_tls on both or on neither"),
    /** This node speaks plain TCP on the channel, the peer sent a TLS ClientHello. */
    PEER_USES_TLS(9, "peer is using TLS, this node expects plain TCP",
            "use the same rpc.driver (cluster RPC) and cluster.proto_dist (distribution) on every node: ssl / inet_tls on both or on neither"),
    /** Sent by a TLS acceptor to a plain dialler. */
    PEER_EXPECTS_TLS(10, "peer expects TLS, this node speaks plain TCP",
            "set rpc.driver = ssl / cluster.proto_dist = inet_tls on this node too, or turn TLS off on the peer"),
    /** The peer's certificate chain does not lead to a CA in cacertfile. */
    TLS_UNKNOWN_CA(11, "certificate signed by an unknown CA",
            "issue every node's certificate from the CA in cacertfile (bin/trellis certs node), or add the issuing CA to cacertfile"),
    /** verify_peer + fail_if_no_peer_cert and the dialler presented no certificate. */
    TLS_NO_PEER_CERT(12, "peer sent no certificate (fail_if_no_peer_cert = true)",
            "give the dialling node certfile and keyfile, or set fail_if_no_peer_cert = false on the acceptor"),
    /** A certificate in the peer's chain is past its notAfter (or before its notBefore). */
    TLS_CERT_EXPIRED(13, "certificate expired",
            "renew the node's certificate (bin/trellis certs node name@host) and run ctl certs reload"),
    /** verify_peer_host: the certificate does not name the host of the node name dialled. */
    TLS_HOST_MISMATCH(14, "certificate does not name the peer's host (verify_peer_host = true)",
            "reissue the certificate with the host of the node name in subjectAltName, or set verify_peer_host = false"),
    /** The peer refused our certificate; its log says why. */
    TLS_CERT_REFUSED(15, "peer refused this node's certificate",
            "check the peer's log; its cacertfile must hold the CA that issued this node's certificate, and the certificate must be valid"),
    /** Any other TLS failure (versions, ciphers, ...). */
    TLS_FAILED(16, "TLS handshake failed",
            "check both nodes' TLS settings (tls_versions, ciphers, certificates) and the log for the TLS alert");

    private final int wireCode;
    private final String words;
    private final String fix;

    HandshakeFailure(int wireCode, String words, String fix) {
        this.wireCode = wireCode;
        this.words = words;
        this.fix = fix;
    }

    /** Whether the transport (TLS or its absence) decided this, not the cookie handshake. */
    public boolean transport() {
        return wireCode >= 8;
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

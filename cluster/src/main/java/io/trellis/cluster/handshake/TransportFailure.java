package io.trellis.cluster.handshake;

import java.util.Objects;

/**
 * User event from the transport (TLS, or the plain-TCP guard) to the cookie handshake handler
 * behind it: the connection failed below the handshake for {@code reason}; the handler ends the
 * handshake with it, so the refusal log and {@code ctl cluster join} name the TLS cause.
 *
 * @param reason         a {@link HandshakeFailure#transport() transport} failure
 * @param reportedByPeer whether the peer said so (a TLS alert or refusal frame), else this node decided
 */
public record TransportFailure(HandshakeFailure reason, boolean reportedByPeer) {
    public TransportFailure {
        Objects.requireNonNull(reason, "reason");
    }
}

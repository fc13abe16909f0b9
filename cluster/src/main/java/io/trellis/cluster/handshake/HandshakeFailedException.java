package io.trellis.cluster.handshake;

/** A failed handshake as an exception, for callers of the handshake's result future. */
public final class HandshakeFailedException extends Exception {
    private final transient HandshakeFailed failure;

    public HandshakeFailedException(HandshakeFailed failure, Role localRole) {
        super(failure.describe(localRole), null, false, false);
        this.failure = failure;
    }

    public HandshakeFailed failure() {
        return failure;
    }

    public HandshakeFailure reason() {
        return failure.reason();
    }
}

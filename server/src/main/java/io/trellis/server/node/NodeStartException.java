package io.trellis.server.node;

/** The node cannot start; the message says what and what to change (no secrets, no stack trace needed). */
public final class NodeStartException extends Exception {
    public NodeStartException(String message, Throwable cause) {
        super(message, cause);
    }

    public NodeStartException(String message) {
        super(message);
    }
}

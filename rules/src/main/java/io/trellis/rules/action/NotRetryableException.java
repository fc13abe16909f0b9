package io.trellis.rules.action;

/** A delivery failure that would fail again the same way (bad template output, 4xx, SSRF refusal). */
public final class NotRetryableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NotRetryableException(String message) {
        super(message);
    }

    public NotRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}

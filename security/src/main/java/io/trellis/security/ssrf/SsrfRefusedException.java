package io.trellis.security.ssrf;

import java.net.ConnectException;
import java.util.Objects;

/**
 * A connect that the SSRF policy refused before any packet was sent. A {@link ConnectException}
 * so that clients treat it like a refused connection; {@link #decision()} says why and which key
 * to change.
 */
public final class SsrfRefusedException extends ConnectException {

    private static final long serialVersionUID = 1L;

    private final transient SsrfDecision.Denied decision;

    public SsrfRefusedException(SsrfDecision.Denied decision) {
        super(Objects.requireNonNull(decision, "decision").reason());
        this.decision = decision;
    }

    public SsrfDecision.Denied decision() {
        return decision;
    }
}

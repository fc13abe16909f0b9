package io.trellis.rules;

import io.trellis.security.ssrf.SsrfDecision;

/**
 * The SSRF policy refuses a connector's target ({@code url} or {@code server}). The message is
 * EMQX's text naming the key to change; the API layer answers 400 with it.
 */
public final class ConnectorTargetDeniedException extends RuleConfigException {

    private static final long serialVersionUID = 1L;

    private final transient SsrfDecision decision;

    public ConnectorTargetDeniedException(String field, SsrfDecision decision) {
        super(field, decision.message());
        this.decision = decision;
    }

    public SsrfDecision decision() {
        return decision;
    }
}

package io.trellis.rules.sql;

/** A rule failed while evaluating a message (bad argument type, division by zero, ...). */
public final class RuleEvalException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RuleEvalException(String message) {
        super(message);
    }

    public RuleEvalException(String message, Throwable cause) {
        super(message, cause);
    }
}

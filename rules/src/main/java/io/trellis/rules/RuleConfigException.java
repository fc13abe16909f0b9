package io.trellis.rules;

/**
 * A rule, action or connector that cannot be accepted as given: the API layer answers 400 with
 * {@link #getMessage()}, which names the field and what to change. Never holds a secret.
 */
public class RuleConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String field;

    public RuleConfigException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The body field at fault ({@code sql}, {@code url}, {@code server}, ...). */
    public String field() {
        return field;
    }
}

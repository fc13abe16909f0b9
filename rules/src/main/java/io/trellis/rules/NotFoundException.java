package io.trellis.rules;

/** No rule, action or connector with that id: the API layer answers 404. */
public final class NotFoundException extends Exception {

    private static final long serialVersionUID = 1L;

    public NotFoundException(String what, String id) {
        super(what + " not found: " + id);
    }
}

package io.trellis.rules.connector;

import io.trellis.security.ssrf.SsrfRefusedException;

/** Helpers over failure causes. */
public final class Failures {

    private Failures() {
    }

    /** The SSRF refusal somewhere in the cause chain, or null. */
    public static SsrfRefusedException ssrfRefusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SsrfRefusedException s) return s;
        }
        return null;
    }

    /** A short text for a status reason or a log line (never holds a secret: no config values). */
    public static String describe(Throwable t) {
        SsrfRefusedException s = ssrfRefusal(t);
        if (s != null) return s.getMessage();
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null ? c.getClass().getSimpleName() : m;
    }
}

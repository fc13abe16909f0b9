package io.trellis.bench.client;

/** What connections need to know about the run as a whole. */
public interface BenchControl {
    /** True once the run is shutting down: closes then are expected, not errors. */
    boolean stopping();

    /** A connection error (logged once per kind so a failing run does not flood the terminal). */
    void reportError(String clientId, Throwable cause);
}

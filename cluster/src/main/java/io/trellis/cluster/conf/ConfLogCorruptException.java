package io.trellis.cluster.conf;

/** The persisted log cannot be read back: names the file, the offset and what to do. */
public final class ConfLogCorruptException extends Exception {
    public ConfLogCorruptException(String message) {
        super(message);
    }
}

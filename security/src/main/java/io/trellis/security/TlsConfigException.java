package io.trellis.security;

/** Bad TLS material; the message names the file and the problem, never a key or password. CONTRACT. */
public final class TlsConfigException extends Exception {
    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

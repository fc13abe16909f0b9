package io.trellis.security;

import io.netty.handler.ssl.SslContext;

/**
 * Netty SSL contexts from PEM files, with intent-named factories and safe defaults (Netty's
 * SslContextBuilder habit). OpenSSL (BoringSSL) when available, else the JDK. CONTRACT.
 */
public final class TlsContexts {
    private TlsContexts() {
    }

    /**
     * A server context. Throws {@link TlsConfigException} whose message names the file and what
     * is wrong (missing, unreadable, not PEM, key does not match certificate, expired, ...).
     */
    public static SslContext forServer(TlsOptions options) throws TlsConfigException {
        throw new UnsupportedOperationException("not yet built");
    }

    /** A client context (peer verified against cacertfile when verifyPeer). */
    public static SslContext forClient(TlsOptions options) throws TlsConfigException {
        throw new UnsupportedOperationException("not yet built");
    }
}

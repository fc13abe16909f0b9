package io.trellis.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Netty SSL contexts from PEM files, with intent-named factories and safe defaults (Netty's
 * SslContextBuilder habit). OpenSSL (BoringSSL) when available, else the JDK. CONTRACT.
 *
 * <p>Policy: TLS 1.2 and 1.3 only ({@link TlsVersions}); server client-auth REQUIRE when
 * verifyPeer and failIfNoPeerCert, OPTIONAL when verifyPeer only, NONE with verify_none; peers
 * verified against cacertfile. Certificates are checked when loaded ({@link TlsMaterial}).
 */
public final class TlsContexts {
    private TlsContexts() {
    }

    /** The engine contexts are built with: OPENSSL (BoringSSL) when its native library loads, else JDK. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * A server context. Throws {@link TlsConfigException} whose message names the file and what
     * is wrong (missing, unreadable, not PEM, key does not match certificate, expired, ...).
     */
    public static SslContext forServer(TlsOptions options) throws TlsConfigException {
        return forServer(options, provider());
    }

    /** A server context on the given engine (tests compare JDK and OpenSSL). */
    public static SslContext forServer(TlsOptions options, SslProvider provider) throws TlsConfigException {
        if (options.certfile() == null || options.keyfile() == null) {
            throw new TlsConfigException("a TLS server needs certfile and keyfile; set both to PEM files");
        }
        List<String> protocols = TlsVersions.toProtocols(options.versions());
        TlsMaterial material = TlsMaterial.load(options.certfile(), options.keyfile(), options.keyPassword());
        SslContextBuilder builder = SslContextBuilder
                .forServer(material.key(), material.chain().toArray(X509Certificate[]::new))
                .sslProvider(provider)
                .protocols(protocols);
        if (options.verifyPeer()) {
            if (options.cacertfile() == null) {
                throw new TlsConfigException("verify_peer needs cacertfile: set it to the PEM bundle of the CAs that issue"
                        + " peer certificates, or set verify = verify_none");
            }
            builder.trustManager(TlsMaterial.loadTrust(options.cacertfile()).toArray(X509Certificate[]::new))
                    .clientAuth(options.failIfNoPeerCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        } else {
            builder.clientAuth(ClientAuth.NONE);
        }
        return build(builder, options, provider);
    }

    /** A client context (peer verified against cacertfile when verifyPeer), with host name verification on. */
    public static SslContext forClient(TlsOptions options) throws TlsConfigException {
        return forClient(options, true, provider());
    }

    /**
     * A client context. With verifyHostname the server's certificate must name the host dialled
     * (create the handler with {@code newHandler(alloc, host, port)}); without it only the CA
     * chain is checked, as EMQX does between cluster nodes whose certificates name the node.
     * Without verifyPeer nothing is checked (verify_none).
     */
    public static SslContext forClient(TlsOptions options, boolean verifyHostname, SslProvider provider)
            throws TlsConfigException {
        List<String> protocols = TlsVersions.toProtocols(options.versions());
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(provider).protocols(protocols);
        if (options.certfile() != null || options.keyfile() != null) {
            if (options.certfile() == null || options.keyfile() == null) {
                throw new TlsConfigException("a TLS client certificate needs both certfile and keyfile; set both or neither");
            }
            TlsMaterial material = TlsMaterial.load(options.certfile(), options.keyfile(), options.keyPassword());
            builder.keyManager(material.key(), material.chain().toArray(X509Certificate[]::new));
        }
        if (options.verifyPeer()) {
            if (options.cacertfile() != null) {
                builder.trustManager(TlsMaterial.loadTrust(options.cacertfile()).toArray(X509Certificate[]::new));
            } // else: the JDK's default trust store
            builder.endpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
        } else {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        }
        return build(builder, options, provider);
    }

    private static SslContext build(SslContextBuilder builder, TlsOptions options, SslProvider provider)
            throws TlsConfigException {
        List<String> ciphers = options.ciphers() == null ? List.of() : TlsCiphers.toIana(options.ciphers());
        if (!ciphers.isEmpty()) {
            builder.ciphers(ciphers);
        }
        try {
            SslContext context = builder.build();
            List<String> unsupported = ciphers.stream().filter(c -> !context.cipherSuites().contains(c)).toList();
            if (!unsupported.isEmpty()) {
                throw new TlsConfigException("ciphers: " + unsupported + " not supported by " + provider
                        + "; remove them from ciphers (supported here: " + context.cipherSuites() + ")");
            }
            return context;
        } catch (SSLException | IllegalArgumentException | IllegalStateException e) {
            String what = options.ciphers() != null && !options.ciphers().isEmpty()
                    ? "check ciphers " + options.ciphers() + " against what " + provider + " supports"
                    : "check the certificate and key types";
            // The message of Netty's exception names settings, not key material.
            throw new TlsConfigException("cannot build a TLS context with " + provider + ": " + e.getMessage() + "; " + what, e);
        }
    }
}

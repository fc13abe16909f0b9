package io.trellis.security;

import java.nio.file.Path;

/**
 * Development TLS material for the MQTT listeners, made on first start when the configured files
 * are absent: a CA and a server certificate for localhost / 127.0.0.1 / ::1 / the host name,
 * files mode 600. CONTRACT.
 */
public final class DevCertificates {
    private DevCertificates() {
    }

    /**
     * Writes {@code ca.pem}, {@code cert.pem} and {@code key.pem} into dir if cert.pem or key.pem
     * is missing; returns true if it wrote them. Never overwrites existing files.
     */
    public static boolean ensure(Path dir) throws TlsConfigException {
        throw new UnsupportedOperationException("not yet built");
    }
}

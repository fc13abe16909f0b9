package io.trellis.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * TLS version names as EMQX writes them ({@code tlsv1.2}, {@code tlsv1.3}) mapped to JSSE names.
 * TLS 1.0 and 1.1 are refused outright (RFC 8996 deprecates them), SSLv3 too; there is no way to
 * turn them back on.
 */
public final class TlsVersions {
    /** What an empty {@code tls_versions} means. */
    public static final List<String> DEFAULT = List.of("TLSv1.3", "TLSv1.2");

    private TlsVersions() {
    }

    /** JSSE protocol names for the configured names; empty or null means {@link #DEFAULT}. */
    public static List<String> toProtocols(List<String> versions) throws TlsConfigException {
        if (versions == null || versions.isEmpty()) {
            return DEFAULT;
        }
        List<String> out = new ArrayList<>();
        for (String v : versions) {
            String name = v == null ? "" : v.trim().toLowerCase(Locale.ROOT);
            String protocol = switch (name) {
                case "tlsv1.3" -> "TLSv1.3";
                case "tlsv1.2" -> "TLSv1.2";
                case "tlsv1.1", "tlsv1", "tlsv1.0", "sslv3", "sslv2" -> throw new TlsConfigException("tls_versions: '" + v
                        + "' is not allowed: it is obsolete and insecure (RFC 8996); use tlsv1.2 and/or tlsv1.3");
                default -> throw new TlsConfigException("tls_versions: unknown TLS version '" + v
                        + "'; use tlsv1.2 and/or tlsv1.3");
            };
            if (!out.contains(protocol)) {
                out.add(protocol);
            }
        }
        return List.copyOf(out);
    }
}

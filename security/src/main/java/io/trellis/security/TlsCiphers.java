package io.trellis.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cipher suite names: EMQX configurations use OpenSSL's ({@code ECDHE-ECDSA-AES128-GCM-SHA256}),
 * Java and Netty want IANA's ({@code TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}). Both are accepted
 * and turned into IANA names; anything else is an error rather than silently ignored, because an
 * ignored cipher list would leave the provider's defaults in force without anyone noticing.
 */
public final class TlsCiphers {
    // [KX-AUTH-]CIPHER[-MODE][-MAC]; no KX-AUTH means RSA key exchange.
    private static final Pattern OPENSSL = Pattern.compile(
            "^(?:(ECDHE|DHE|ECDH)-(ECDSA|RSA|DSS)-)?(AES128|AES256|CHACHA20|DES-CBC3|CAMELLIA128|CAMELLIA256)"
                    + "(?:-(GCM|CCM8|CCM|POLY1305))?(?:-(SHA384|SHA256|SHA))?$");

    private TlsCiphers() {
    }

    /** IANA names for the configured names, in order. */
    public static List<String> toIana(List<String> names) throws TlsConfigException {
        List<String> out = new ArrayList<>();
        for (String raw : names) {
            String name = raw == null ? "" : raw.trim();
            String iana = name.toUpperCase(Locale.ROOT).startsWith("TLS_") || name.startsWith("SSL_")
                    ? name : fromOpenSsl(name.toUpperCase(Locale.ROOT));
            if (iana == null) {
                throw new TlsConfigException("ciphers: unknown cipher suite '" + raw + "'; use OpenSSL names such as"
                        + " ECDHE-ECDSA-AES128-GCM-SHA256 or IANA names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,"
                        + " or leave ciphers empty for the safe defaults");
            }
            if (!out.contains(iana)) {
                out.add(iana);
            }
        }
        return out;
    }

    static String fromOpenSsl(String name) {
        Matcher m = OPENSSL.matcher(name);
        if (!m.matches()) {
            return null;
        }
        String kx = m.group(1) == null ? "RSA" : m.group(1) + "_" + m.group(2);
        String cipher = m.group(3);
        String mode = m.group(4);
        String mac = m.group(5);
        String body;
        switch (cipher) {
            case "CHACHA20" -> {
                if (!"POLY1305".equals(mode)) {
                    return null;
                }
                return "TLS_" + kx + "_WITH_CHACHA20_POLY1305_SHA256";
            }
            case "DES-CBC3" -> body = "3DES_EDE_CBC";
            default -> {
                String bits = cipher.substring(cipher.length() - 3);
                String family = cipher.substring(0, cipher.length() - 3);
                String m2 = mode == null ? "CBC" : switch (mode) {
                    case "GCM" -> "GCM";
                    case "CCM" -> "CCM";
                    case "CCM8" -> "CCM_8";
                    default -> null;
                };
                if (m2 == null) {
                    return null;
                }
                body = family + "_" + bits + "_" + m2;
            }
        }
        if (mac == null) {
            return mode != null && mode.startsWith("CCM") ? "TLS_" + kx + "_WITH_" + body : null;
        }
        return "TLS_" + kx + "_WITH_" + body + "_" + mac;
    }
}

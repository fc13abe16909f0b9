package io.trellis.security;

import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Development TLS material for the MQTT listeners, made on first start when the configured files
 * are absent: a CA and a server certificate for localhost / 127.0.0.1 / ::1 / the host name,
 * files mode 600. CONTRACT.
 *
 * <p>The CA's private key is thrown away once the server certificate is signed, so nobody can
 * mint more certificates that clients trusting ca.pem would accept.
 */
public final class DevCertificates {
    public static final String CA_FILE = "ca.pem";
    public static final String CERT_FILE = "cert.pem";
    public static final String KEY_FILE = "key.pem";

    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration SERVER_VALIDITY = Duration.ofDays(825);

    private DevCertificates() {
    }

    /**
     * Writes {@code ca.pem}, {@code cert.pem} and {@code key.pem} into dir if cert.pem or key.pem
     * is missing; returns true if it wrote them. Never overwrites existing files.
     */
    public static boolean ensure(Path dir) throws TlsConfigException {
        Path ca = dir.resolve(CA_FILE);
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        if (Files.exists(cert) && Files.exists(key)) {
            return false;
        }
        List<String> present = new ArrayList<>();
        for (Path p : List.of(ca, cert, key)) {
            if (Files.exists(p)) {
                present.add(p.getFileName().toString());
            }
        }
        if (!present.isEmpty()) {
            throw new TlsConfigException("development certificates in " + dir + " are incomplete: found " + present
                    + " but not all of ca.pem, cert.pem, key.pem; restore the missing files, or remove " + present
                    + " so that a new set is made (existing files are never overwritten)");
        }
        try {
            if (!Files.isDirectory(dir)) {
                if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectories(dir);
                }
            }
            CertificateAuthority authority = CertificateAuthority.create("Trellis development CA", KeyPairs.ecP256(), CA_VALIDITY);
            KeyPair serverKey = KeyPairs.ecP256();
            X509Certificate server = authority.issue("localhost", sans(), serverKey, SERVER_VALIDITY,
                    CertificateAuthority.Usage.SERVER);
            // Key first: a cert.pem without its key would be useless.
            PemWriter.writeNewOwnerOnly(key, PemWriter.pkcs8(serverKey.getPrivate()));
            PemWriter.writeNewOwnerOnly(cert, PemWriter.certificates(server));
            PemWriter.writeNewOwnerOnly(ca, PemWriter.certificates(authority.certificate()));
            return true;
        } catch (IOException e) {
            throw new TlsConfigException("cannot write development certificates into " + dir + ": "
                    + e.getClass().getSimpleName() + " " + e.getMessage() + "; check that the directory is writable", e);
        }
    }

    static List<String> sans() {
        List<String> sans = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            String host = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            if (!host.isEmpty() && !sans.contains(host) && host.matches("[a-z0-9.-]+")) {
                sans.add(host);
            }
        } catch (IOException e) {
            // No resolvable host name: the loopback names still work.
        }
        return sans;
    }
}

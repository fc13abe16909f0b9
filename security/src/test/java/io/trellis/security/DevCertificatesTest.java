package io.trellis.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.pem.PemFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevCertificatesTest {
    @TempDir
    Path tmp;

    @Test
    void createsCaAndServerCertificateOwnerOnly() throws Exception {
        Path dir = tmp.resolve("etc/certs");
        assertThat(DevCertificates.ensure(dir)).isTrue();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        for (String f : List.of("ca.pem", "cert.pem", "key.pem")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f)))).as(f)
                    .isEqualTo("rw-------");
        }
        assertThat(Files.readString(dir.resolve("key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");

        X509Certificate ca = PemFiles.readCertificates(dir.resolve("ca.pem"), "ca").get(0);
        X509Certificate cert = PemFiles.readCertificates(dir.resolve("cert.pem"), "cert").get(0);
        cert.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant()).toDays()).isBetween(3649L, 3651L);
        assertThat(Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays()).isBetween(823L, 825L);
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isTrue();
        List<String> sans = cert.getSubjectAlternativeNames().stream().map(l -> l.get(1).toString()).collect(Collectors.toList());
        assertThat(sans).contains("localhost", "127.0.0.1");
        assertThat(sans).anyMatch(s -> s.equals("0:0:0:0:0:0:0:1") || s.equals("::1"));

        // The files make a working server context.
        TlsOptions opts = new TlsOptions(dir.resolve("cert.pem"), dir.resolve("key.pem"), null, dir.resolve("ca.pem"),
                false, false, List.of(), List.of());
        assertThat(TlsContexts.forServer(opts).isServer()).isTrue();
    }

    @Test
    void isIdempotentAndNeverOverwrites() throws Exception {
        assertThat(DevCertificates.ensure(tmp)).isTrue();
        String cert = Files.readString(tmp.resolve("cert.pem"));
        String key = Files.readString(tmp.resolve("key.pem"));
        assertThat(DevCertificates.ensure(tmp)).isFalse();
        assertThat(Files.readString(tmp.resolve("cert.pem"))).isEqualTo(cert);
        assertThat(Files.readString(tmp.resolve("key.pem"))).isEqualTo(key);
    }

    @Test
    void refusesAHalfSetInsteadOfOverwriting() throws Exception {
        assertThat(DevCertificates.ensure(tmp)).isTrue();
        Files.delete(tmp.resolve("key.pem"));
        String cert = Files.readString(tmp.resolve("cert.pem"));
        assertThatThrownBy(() -> DevCertificates.ensure(tmp))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining(tmp.toString())
                .hasMessageContaining("incomplete")
                .hasMessageContaining("cert.pem");
        assertThat(Files.readString(tmp.resolve("cert.pem"))).isEqualTo(cert);
    }
}

package io.trellis.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.trellis.security.pem.PemFiles;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad-material case gives a message naming the file and the problem, and nothing secret. */
class TlsMaterialErrorsTest {
    @TempDir
    Path dir;

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.pem");
        assertThatThrownBy(() -> PemFiles.readCertificates(missing, "certificate file"))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("certificate file " + missing + ": does not exist; check the path");
    }

    @Test
    void unreadableFile() throws Exception {
        TestPki pki = new TestPki(dir);
        Path ca = pki.caFile();
        Files.setPosixFilePermissions(ca, PosixFilePermissions.fromString("---------"));
        assumeTrue(!Files.isReadable(ca), "running as root: permissions do not stop reading, skipping");
        assertThatThrownBy(() -> PemFiles.readCertificates(ca, "CA certificate file"))
                .hasMessageContaining(ca.toString()).hasMessageContaining("not readable");
    }

    @Test
    void directoryInsteadOfFile() {
        assertThatThrownBy(() -> PemFiles.readCertificates(dir, "certificate file"))
                .hasMessageContaining(dir.toString()).hasMessageContaining("is a directory");
    }

    @Test
    void notPem() throws Exception {
        Path der = dir.resolve("cert.der");
        Files.write(der, new TestPki(dir).ca.certificate().getEncoded());
        assertThatThrownBy(() -> PemFiles.readCertificates(der, "certificate file"))
                .hasMessageContaining(der.toString()).hasMessageContaining("is not a PEM file");
        Path text = Files.writeString(dir.resolve("hello.txt"), "hello\n");
        assertThatThrownBy(() -> PemFiles.readPrivateKey(text, null))
                .hasMessageContaining(text.toString()).hasMessageContaining("is not a PEM file");
    }

    @Test
    void malformedPem() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 !!\n");
        assertThatThrownBy(() -> PemFiles.readCertificates(bad, "certificate file"))
                .hasMessageContaining(bad.toString()).hasMessageContaining("not valid PEM");
    }

    @Test
    void noCertificateInFile() throws Exception {
        KeyPair kp = KeyPairs.ecP256();
        Path keyOnly = Files.writeString(dir.resolve("key.pem"), PemWriter.pkcs8(kp.getPrivate()));
        assertThatThrownBy(() -> PemFiles.readCertificates(keyOnly, "certificate file"))
                .hasMessageContaining(keyOnly.toString())
                .hasMessageContaining("no certificate in file (found PRIVATE KEY)")
                .hasMessageNotContaining(Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()).substring(0, 40));
    }

    @Test
    void noKeyInFile() throws Exception {
        Path ca = new TestPki(dir).caFile();
        assertThatThrownBy(() -> PemFiles.readPrivateKey(ca, null))
                .hasMessageContaining(ca.toString()).hasMessageContaining("no private key in file (found CERTIFICATE)");
    }

    @Test
    void keyDoesNotMatchCertificate() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Leaf a = pki.leaf("a");
        TestPki.Leaf b = pki.leaf("b", KeyPairs.rsa(2048));
        TestPki.Leaf c = pki.leaf("c");
        assertThatThrownBy(() -> TlsMaterial.load(a.certFile(), c.keyFile(), null))
                .hasMessageContaining(c.keyFile().toString()).hasMessageContaining(a.certFile().toString())
                .hasMessageContaining("does not match the certificate");
        assertThatThrownBy(() -> TlsMaterial.load(b.certFile(), a.keyFile(), null))
                .hasMessageContaining("does not match the certificate");
        TestPki.Leaf d = pki.leaf("d", KeyPairs.rsa(2048));
        assertThatThrownBy(() -> TlsMaterial.load(b.certFile(), d.keyFile(), null))
                .hasMessageContaining("does not match the certificate");
        assertThat(TlsMaterial.load(b.certFile(), b.keyFile(), null).chain()).hasSize(1);
    }

    @Test
    void expiredAndNotYetValid() throws Exception {
        TestPki pki = new TestPki(dir);
        KeyPair kp = KeyPairs.ecP256();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.minus(Duration.ofDays(1));
        Path expired = pki.write("expired.crt", PemWriter.certificates(
                pki.ca.issue("old", List.of("localhost"), kp, now.minus(Duration.ofDays(10)), notAfter)));
        Path future = pki.write("future.crt", PemWriter.certificates(
                pki.ca.issue("new", List.of("localhost"), kp, now.plus(Duration.ofDays(2)), now.plus(Duration.ofDays(10)))));
        Path key = pki.write("k.pem", PemWriter.pkcs8(kp.getPrivate()));
        assertThatThrownBy(() -> TlsMaterial.load(expired, key, null))
                .hasMessageContaining(expired.toString())
                .hasMessageContaining("expired on " + notAfter)
                .hasMessageContaining("notAfter");
        assertThatThrownBy(() -> TlsMaterial.load(future, key, null))
                .hasMessageContaining(future.toString()).hasMessageContaining("not yet valid");
    }

    @Test
    void chainWithIntermediateLoadsLeafFirst() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Leaf leaf = pki.leaf("leaf");
        Path chain = pki.write("chain.pem", PemWriter.certificates(leaf.cert(), pki.ca.certificate()));
        TlsMaterial m = TlsMaterial.load(chain, leaf.keyFile(), null);
        assertThat(m.chain()).containsExactly(leaf.cert(), pki.ca.certificate());
    }

    @Test
    void tlsVersionPolicy() throws Exception {
        assertThat(TlsVersions.toProtocols(List.of())).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(TlsVersions.toProtocols(List.of("tlsv1.2"))).containsExactly("TLSv1.2");
        assertThat(TlsVersions.toProtocols(List.of("TLSv1.3", "tlsv1.3"))).containsExactly("TLSv1.3");
        assertThatThrownBy(() -> TlsVersions.toProtocols(List.of("tlsv1.2", "tlsv1.1")))
                .hasMessageContaining("'tlsv1.1' is not allowed").hasMessageContaining("use tlsv1.2 and/or tlsv1.3");
        assertThatThrownBy(() -> TlsVersions.toProtocols(List.of("tlsv1")))
                .hasMessageContaining("'tlsv1' is not allowed");
        assertThatThrownBy(() -> TlsVersions.toProtocols(List.of("tls13")))
                .hasMessageContaining("unknown TLS version 'tls13'");
    }

    @Test
    void serverNeedsCaForVerifyPeer() throws Exception {
        TestPki.Leaf leaf = new TestPki(dir).leaf("s");
        assertThatThrownBy(() -> TlsContexts.forServer(leaf.server(null, true, true)))
                .hasMessageContaining("verify_peer needs cacertfile");
    }

    @Test
    void unknownCipherIsReported() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Leaf leaf = pki.leaf("s");
        TlsOptions opts = new TlsOptions(leaf.certFile(), leaf.keyFile(), null, null, false, false, List.of(),
                List.of("NO-SUCH-CIPHER"));
        assertThatThrownBy(() -> TlsContexts.forServer(opts)).isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("unknown cipher suite 'NO-SUCH-CIPHER'");
        TlsOptions unsupported = new TlsOptions(leaf.certFile(), leaf.keyFile(), null, null, false, false, List.of(),
                List.of("TLS_FAKE_WITH_NOTHING"));
        assertThatThrownBy(() -> TlsContexts.forServer(unsupported)).isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("TLS_FAKE_WITH_NOTHING").hasMessageContaining(TlsContexts.provider().toString());
    }
}

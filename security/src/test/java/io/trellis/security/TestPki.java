package io.trellis.security;

import io.trellis.config.Secret;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;

/** Test PKI: a CA, leaves, and their keys written in each PEM format. */
final class TestPki {
    static final String PASSWORD = "s3cret-Pa55word";
    static final BouncyCastleProvider BC = new BouncyCastleProvider();

    final CertificateAuthority ca = CertificateAuthority.create("test CA", KeyPairs.ecP256(), Duration.ofDays(30));
    final Path dir;

    TestPki(Path dir) {
        this.dir = dir;
    }

    /** ca.pem of this PKI. */
    Path caFile() throws IOException {
        return write("ca.pem", PemWriter.certificates(ca.certificate()));
    }

    /** A leaf for localhost usable as server and client, written as name.crt / name.key (PKCS#8). */
    Leaf leaf(String name, KeyPair keyPair) throws IOException {
        X509Certificate cert = ca.issue(name, List.of("localhost", "127.0.0.1"), keyPair, Duration.ofDays(1),
                CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT);
        Path certFile = write(name + ".crt", PemWriter.certificates(cert));
        Path keyFile = write(name + ".key", PemWriter.pkcs8(keyPair.getPrivate()));
        return new Leaf(cert, keyPair, certFile, keyFile);
    }

    Leaf leaf(String name) throws IOException {
        return leaf(name, KeyPairs.ecP256());
    }

    record Leaf(X509Certificate cert, KeyPair keyPair, Path certFile, Path keyFile) {
        TlsOptions server(Path cacert, boolean verifyPeer, boolean failIfNoPeerCert) {
            return new TlsOptions(certFile, keyFile, null, cacert, verifyPeer, failIfNoPeerCert, List.of(), List.of());
        }
    }

    static TlsOptions clientOptions(Leaf leaf, Path cacert) {
        return new TlsOptions(leaf == null ? null : leaf.certFile(), leaf == null ? null : leaf.keyFile(), null, cacert,
                true, true, List.of(), List.of());
    }

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** BEGIN RSA PRIVATE KEY (PKCS#1) for RSA keys, BEGIN EC PRIVATE KEY (SEC1) for EC keys. */
    static String traditional(PrivateKey key) {
        return pem(w -> w.writeObject(withCurveInside(key)));
    }

    /**
     * The JDK's PKCS#8 EC encoding names the curve only outside the key structure, so a SEC1 file
     * written from it would name no curve (unlike what openssl writes): put the curve inside.
     */
    static Object withCurveInside(PrivateKey key) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        if (!"EC".equals(key.getAlgorithm())) {
            return key;
        }
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        ASN1Encodable params = info.getPrivateKeyAlgorithm().getParameters();
        return new PrivateKeyInfo(info.getPrivateKeyAlgorithm(),
                new ECPrivateKey(256, inner.getKey(), inner.getPublicKey(), params));
    }

    /** Legacy OpenSSL encryption: Proc-Type: 4,ENCRYPTED with DEK-Info. */
    static String traditionalEncrypted(PrivateKey key, String password) {
        return pem(w -> w.writeObject(withCurveInside(key), new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(BC).build(password.toCharArray())));
    }

    /** BEGIN ENCRYPTED PRIVATE KEY (PKCS#8, PBES2 AES-256-CBC). */
    static String pkcs8Encrypted(PrivateKey key, String password) {
        return pem(w -> w.writeObject(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                .setProvider(BC).setPassword(password.toCharArray()).build()).generate()));
    }

    static Secret secret(String s) {
        return new Secret(s);
    }

    interface PemWrite {
        void write(JcaPEMWriter w) throws Exception;
    }

    static String pem(PemWrite body) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            body.write(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}

package io.trellis.security.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for development and tests: a self-signed root that issues leaf
 * certificates with SANs and key usages. Not for production PKI (no revocation, no policy).
 */
public final class CertificateAuthority {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keyPair;
    private final X509Certificate certificate;

    private CertificateAuthority(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** What a leaf certificate may be used for. */
    public enum Usage { SERVER, CLIENT }

    /** A self-signed CA with the given key, valid from a minute ago for validity. */
    public static CertificateAuthority create(String commonName, KeyPair keyPair, Duration validity) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X500Name name = name(commonName);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)), name, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keyPair.getPublic()));
            return new CertificateAuthority(keyPair, sign(b, keyPair));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create a CA certificate", e);
        }
    }

    /** A CA from its certificate and key, e.g. as read back from ca.pem and ca.key ({@code trellis certs node}). */
    public static CertificateAuthority of(KeyPair keyPair, X509Certificate certificate) {
        if (!certificate.getPublicKey().equals(keyPair.getPublic())) {
            throw new IllegalArgumentException("the CA key does not belong to the CA certificate");
        }
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("the certificate is not a CA certificate (basicConstraints CA:FALSE)");
        }
        return new CertificateAuthority(keyPair, certificate);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    /**
     * A leaf certificate for subjectKey. sans are DNS names or IP literals (an entry that parses as
     * an IP address becomes an iPAddress SAN).
     */
    public X509Certificate issue(String commonName, List<String> sans, KeyPair subjectKey, Instant notBefore,
                                 Instant notAfter, Usage... usages) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            int keyUsage = KeyUsage.digitalSignature;
            if ("RSA".equals(subjectKey.getPublic().getAlgorithm())) {
                keyUsage |= KeyUsage.keyEncipherment; // RSA key exchange in TLS 1.2
            }
            List<KeyPurposeId> purposes = new ArrayList<>();
            for (Usage u : usages) {
                purposes.add(u == Usage.SERVER ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth);
            }
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(notBefore),
                    Date.from(notAfter), name(commonName), subjectKey.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!purposes.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                        sans.stream().map(CertificateAuthority::generalName).toArray(GeneralName[]::new)));
            }
            return sign(b, keyPair);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
        }
    }

    /** A leaf valid from a minute ago for validity. */
    public X509Certificate issue(String commonName, List<String> sans, KeyPair subjectKey, Duration validity,
                                 Usage... usages) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return issue(commonName, sans, subjectKey, now.minusSeconds(60), now.plus(validity), usages);
    }

    private static GeneralName generalName(String san) {
        boolean ip = san.contains(":") || san.matches("[0-9.]+");
        if (ip) {
            try {
                InetAddress.getByName(san); // a literal: no look-up happens
                return new GeneralName(GeneralName.iPAddress, san);
            } catch (Exception e) {
                throw new IllegalArgumentException("not an IP address: " + san, e);
            }
        }
        return new GeneralName(GeneralName.dNSName, san);
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Trellis").addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        return new BigInteger(159, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws GeneralSecurityException {
        String alg = "RSA".equals(signer.getPrivate().getAlgorithm()) ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(alg).build(signer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + alg, e);
        }
    }
}

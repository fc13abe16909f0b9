package io.trellis.security.pem;

import io.trellis.config.Secret;
import io.trellis.security.TlsConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Reads certificates and private keys from PEM files into java.security objects.
 *
 * <p>Keys: PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}), SEC1 ({@code EC PRIVATE
 * KEY}), encrypted PKCS#8 ({@code ENCRYPTED PRIVATE KEY}) and legacy OpenSSL encryption
 * ({@code Proc-Type: 4,ENCRYPTED}). Every failure is a {@link TlsConfigException} naming the file
 * and the problem. Parser exceptions from key files are never attached as causes and no key
 * bytes or password ever reach a message.
 */
public final class PemFiles {
    /** A CA bundle of a few thousand certificates is well under this; anything larger is not TLS material. */
    private static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

    // Only used to decrypt keys (JDK providers lack some PBE schemes OpenSSL writes); never registered globally.
    private static final Provider BC = new BouncyCastleProvider();

    private PemFiles() {
    }

    /** All certificates in the file, in file order (a chain: leaf first). At least one, or an error. */
    public static List<X509Certificate> readCertificates(Path file, String role) throws TlsConfigException {
        String text = readText(file, role);
        List<String> types = pemTypes(file, role, text);
        List<X509Certificate> certs = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    certs.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new TlsConfigException(describe(role, file) + ": a certificate in it is damaged and cannot be parsed ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        if (certs.isEmpty()) {
            throw new TlsConfigException(describe(role, file) + ": no certificate in file (found " + String.join(", ", types)
                    + "); it must hold -----BEGIN CERTIFICATE----- blocks");
        }
        return certs;
    }

    /** The one private key in the file, decrypted with password when the file is encrypted. */
    public static PrivateKey readPrivateKey(Path file, Secret password) throws TlsConfigException {
        String role = "key file";
        String text = readText(file, role);
        List<String> types = pemTypes(file, role, text);
        Object keyObject = null;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo
                        || o instanceof PEMEncryptedKeyPair) {
                    if (keyObject != null) {
                        throw new TlsConfigException(describe(role, file)
                                + ": more than one private key in file; keep only the key that matches the certificate");
                    }
                    keyObject = o;
                }
            }
        } catch (IOException | RuntimeException e) {
            // No cause attached: a parser message could quote key material.
            throw new TlsConfigException(describe(role, file) + ": the private key is damaged and cannot be parsed");
        }
        if (keyObject == null) {
            throw new TlsConfigException(describe(role, file) + ": no private key in file (found " + String.join(", ", types)
                    + "); it must hold a PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY block");
        }
        return toPrivateKey(file, keyObject, password);
    }

    private static PrivateKey toPrivateKey(Path file, Object keyObject, Secret password) throws TlsConfigException {
        String role = "key file";
        boolean encrypted = keyObject instanceof PKCS8EncryptedPrivateKeyInfo || keyObject instanceof PEMEncryptedKeyPair;
        if (encrypted && (password == null || password.isEmpty())) {
            throw new TlsConfigException(describe(role, file)
                    + ": the private key is encrypted but no key password is set; set the password that decrypts it");
        }
        PrivateKeyInfo info;
        if (keyObject instanceof PrivateKeyInfo plain) {
            info = plain;
        } else if (keyObject instanceof PEMKeyPair pair) {
            info = pair.getPrivateKeyInfo();
        } else if (keyObject instanceof PKCS8EncryptedPrivateKeyInfo enc) {
            try {
                info = enc.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC)
                        .build(password.reveal().toCharArray()));
            } catch (Exception e) {
                throw wrongPassword(file);
            }
        } else {
            try {
                PEMEncryptedKeyPair enc = (PEMEncryptedKeyPair) keyObject;
                info = enc.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC)
                        .build(password.reveal().toCharArray())).getPrivateKeyInfo();
            } catch (Exception e) {
                throw wrongPassword(file);
            }
        }
        try {
            return toJdkKey(info);
        } catch (Exception e) {
            if (encrypted) {
                throw wrongPassword(file);
            }
            throw new TlsConfigException(describe(role, file) + ": the private key is damaged or of an unsupported algorithm");
        }
    }

    /** JDK key objects (not BouncyCastle's) so both the JDK and the OpenSSL engines accept them. */
    private static PrivateKey toJdkKey(PrivateKeyInfo info) throws IOException, GeneralSecurityException {
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String algorithm;
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            algorithm = "RSA";
        } else if (oid.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
            algorithm = "RSASSA-PSS";
        } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            algorithm = "EC";
            info = withCurveInAlgorithmIdentifier(info);
        } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
            algorithm = "Ed25519";
        } else if (oid.equals(EdECObjectIdentifiers.id_Ed448)) {
            algorithm = "Ed448";
        } else if (oid.equals(X9ObjectIdentifiers.id_dsa)) {
            algorithm = "DSA";
        } else {
            throw new GeneralSecurityException("unsupported key algorithm " + oid);
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    }

    /**
     * SEC1 keys carry their curve inside the key structure, but the JDK wants it in the PKCS#8
     * algorithm identifier: move it there.
     */
    private static PrivateKeyInfo withCurveInAlgorithmIdentifier(PrivateKeyInfo info) throws IOException,
            GeneralSecurityException {
        if (info.getPrivateKeyAlgorithm().getParameters() != null) {
            return info;
        }
        ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
        if (sec1.getParametersObject() == null) {
            throw new GeneralSecurityException("EC private key names no curve");
        }
        return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, sec1.getParametersObject()),
                sec1);
    }

    private static TlsConfigException wrongPassword(Path file) {
        return new TlsConfigException(describe("key file", file)
                + ": cannot decrypt the private key: wrong key password (or the file is damaged)");
    }

    private static String readText(Path file, String role) throws TlsConfigException {
        if (file == null) {
            throw new TlsConfigException(role + ": no file given; set the path of a PEM file");
        }
        try {
            if (Files.isDirectory(file)) {
                throw new TlsConfigException(describe(role, file) + ": is a directory, not a PEM file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new TlsConfigException(describe(role, file) + ": is " + size + " bytes, too large for a PEM file (limit "
                        + MAX_FILE_BYTES + ")");
            }
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsConfigException(describe(role, file) + ": does not exist; check the path");
        } catch (AccessDeniedException e) {
            throw new TlsConfigException(describe(role, file) + ": is not readable by this process; check its owner and permissions");
        } catch (IOException e) {
            throw new TlsConfigException(describe(role, file) + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The PEM block types in the file, e.g. [CERTIFICATE, PRIVATE KEY]; an error when there are none. */
    private static List<String> pemTypes(Path file, String role, String text) throws TlsConfigException {
        Set<String> types = new LinkedHashSet<>();
        try (PemReader reader = new PemReader(new StringReader(text))) {
            PemObject obj;
            while ((obj = reader.readPemObject()) != null) {
                types.add(obj.getType());
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException(describe(role, file) + ": is not valid PEM (a -----BEGIN block is malformed)");
        }
        if (types.isEmpty()) {
            throw new TlsConfigException(describe(role, file)
                    + ": is not a PEM file (no -----BEGIN ...----- line found); convert DER or PKCS#12 files to PEM first");
        }
        return new ArrayList<>(types);
    }

    static String describe(String role, Path file) {
        return role + " " + file;
    }
}

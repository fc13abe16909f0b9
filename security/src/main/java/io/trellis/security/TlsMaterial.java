package io.trellis.security;

import io.trellis.config.Secret;
import io.trellis.security.pem.PemFiles;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.util.Date;
import java.util.List;

/**
 * A certificate chain and its private key, checked when loaded: the key matches the leaf
 * certificate and every certificate of the chain is within its validity period now.
 */
public record TlsMaterial(List<X509Certificate> chain, PrivateKey key) {

    public static TlsMaterial load(Path certfile, Path keyfile, Secret keyPassword) throws TlsConfigException {
        return load(certfile, keyfile, keyPassword, Clock.systemUTC());
    }

    static TlsMaterial load(Path certfile, Path keyfile, Secret keyPassword, Clock clock) throws TlsConfigException {
        List<X509Certificate> chain = PemFiles.readCertificates(certfile, "certificate file");
        checkValidity(certfile, chain, clock);
        PrivateKey key = PemFiles.readPrivateKey(keyfile, keyPassword);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new TlsConfigException("key file " + keyfile + ": the private key does not match the certificate in "
                    + certfile + " (" + chain.get(0).getSubjectX500Principal().getName()
                    + "); use the key the certificate was issued for");
        }
        return new TlsMaterial(List.copyOf(chain), key);
    }

    /** Trusted CA certificates (validity not checked: bundles often keep old roots). */
    public static List<X509Certificate> loadTrust(Path cacertfile) throws TlsConfigException {
        return PemFiles.readCertificates(cacertfile, "CA certificate file");
    }

    static void checkValidity(Path file, List<X509Certificate> chain, Clock clock) throws TlsConfigException {
        Date now = Date.from(clock.instant());
        for (X509Certificate cert : chain) {
            String subject = cert.getSubjectX500Principal().getName();
            if (now.after(cert.getNotAfter())) {
                throw new TlsConfigException("certificate file " + file + ": certificate " + subject + " expired on "
                        + cert.getNotAfter().toInstant() + " (notAfter); renew it");
            }
            if (now.before(cert.getNotBefore())) {
                throw new TlsConfigException("certificate file " + file + ": certificate " + subject
                        + " is not yet valid: valid from " + cert.getNotBefore().toInstant()
                        + " (notBefore); check the clock of this machine or of the issuer");
            }
        }
    }

    /**
     * Whether key is the private half of publicKey. RSA compares the public parts directly; other
     * algorithms (EC, EdDSA) prove it by signing a random challenge and verifying with publicKey.
     */
    static boolean matches(PrivateKey key, PublicKey publicKey) {
        if (key instanceof RSAPrivateKey rsa) {
            if (!(publicKey instanceof RSAPublicKey pub)) {
                return false;
            }
            if (!rsa.getModulus().equals(pub.getModulus())) {
                return false;
            }
            return !(key instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent().equals(pub.getPublicExponent());
        }
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())
                && !(key.getAlgorithm().startsWith("Ed") && publicKey.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA: the algorithm name is the signature name
        };
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}

package io.trellis.security.authn;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;

/**
 * Where {@link JwtAuthenticator} finds the keys that may have signed a token: an HMAC secret
 * ({@code algorithm = hmac-based}), a public key ({@code algorithm = public-key}) or a JWKS
 * endpoint ({@code use_jwks = true}, {@link Jwks}). The key's type fixes the algorithms it
 * verifies: an HMAC secret only HS256/384/512, an RSA key only RS256/384/512, an EC key only the
 * ES algorithm of its curve. So a token cannot pick HS256 and have the public key used as an HMAC
 * secret (algorithm confusion).
 */
public interface JwtKeySource {

  /**
   * The keys to try for a token with this header {@code alg} and {@code kid} (null when absent).
   * Empty when none fits (or, for a JWKS, when the keys are not loaded yet).
   */
  List<Key> candidates(String alg, String kid);

  /**
   * EMQX's {@code secret} with {@code secret_base64_encoded}.
   *
   * @throws IllegalArgumentException when the secret is empty or not base64 as announced (the
   *     message never shows the secret)
   */
  static JwtKeySource hmac(String key, String secret, boolean base64Encoded) {
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException(key + ": the HMAC secret is empty; set a secret");
    }
    byte[] bytes;
    if (base64Encoded) {
      try {
        bytes = Base64.getDecoder().decode(secret.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ": the secret is not valid base64; fix it or set"
            + " secret_base64_encoded = false");
      }
    } else {
      bytes = secret.getBytes(StandardCharsets.UTF_8);
    }
    if (bytes.length == 0) {
      throw new IllegalArgumentException(key + ": the HMAC secret is empty; set a secret");
    }
    SecretKeySpec k = new SecretKeySpec(bytes, "HMAC");
    return (alg, kid) -> alg.startsWith("HS") ? List.of(k) : List.of();
  }

  /**
   * EMQX's {@code public_key}: a PEM {@code PUBLIC KEY} (RSA or EC) or a PEM certificate.
   *
   * @throws IllegalArgumentException naming {@code key} when it is neither
   */
  static JwtKeySource publicKey(String key, String pem) {
    PublicKey k = parsePublicKey(key, pem);
    return (alg, kid) -> JwtAuthenticator.fits(alg, k) ? List.of(k) : List.of();
  }

  static PublicKey parsePublicKey(String key, String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException(key + ": missing; give a PEM public key");
    }
    String text = pem.trim();
    try {
      if (text.contains("-----BEGIN CERTIFICATE-----")) {
        return CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)))
            .getPublicKey();
      }
      if (!text.contains("-----BEGIN PUBLIC KEY-----")) {
        throw new IllegalArgumentException(key + ": not a PEM public key; give a"
            + " '-----BEGIN PUBLIC KEY-----' block (RSA or EC) or a certificate");
      }
      String b64 = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
      X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(b64));
      for (String type : List.of("RSA", "EC")) {
        try {
          return KeyFactory.getInstance(type).generatePublic(spec);
        } catch (java.security.spec.InvalidKeySpecException e) {
          // try the next type
        }
      }
      throw new IllegalArgumentException(key + ": the PEM public key is neither RSA nor EC");
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(key)) {
        throw e;
      }
      throw new IllegalArgumentException(key + ": the PEM public key is not valid base64");
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException(key + ": cannot read the public key ("
          + e.getClass().getSimpleName() + ")");
    }
  }
}

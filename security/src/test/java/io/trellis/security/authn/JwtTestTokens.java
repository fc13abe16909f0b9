package io.trellis.security.authn;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Makes keys and signed tokens with the JDK, the way an issuer would. */
final class JwtTestTokens {

  private JwtTestTokens() {}

  static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A compact JWS of {@code header} and {@code claims} (JSON texts) signed with {@code key}. */
  static String sign(String alg, String header, String claims, Key key) throws Exception {
    String input = b64(header) + "." + b64(claims);
    byte[] data = input.getBytes(StandardCharsets.US_ASCII);
    byte[] sig;
    String bits = alg.substring(2);
    if (alg.startsWith("HS")) {
      Mac mac = Mac.getInstance("HmacSHA" + bits);
      mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA" + bits));
      sig = mac.doFinal(data);
    } else {
      String jca = alg.startsWith("RS") ? "SHA" + bits + "withRSA"
          : "SHA" + bits + "withECDSAinP1363Format";
      Signature s = Signature.getInstance(jca);
      s.initSign((PrivateKey) key);
      s.update(data);
      sig = s.sign();
    }
    return input + "." + b64(sig);
  }

  static String sign(String alg, String claims, Key key) throws Exception {
    return sign(alg, "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}", claims, key);
  }

  static Key secret(String s) {
    return new SecretKeySpec(s.getBytes(StandardCharsets.UTF_8), "HMAC");
  }

  static String pem(java.security.PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }
}

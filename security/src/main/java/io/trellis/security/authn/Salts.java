package io.trellis.security.authn;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Salt generation as EMQX does it: 16 random bytes written as 32 lower-case hex characters. */
final class Salts {

  static final SecureRandom RANDOM = new SecureRandom();

  private Salts() {}

  static String hex16() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}

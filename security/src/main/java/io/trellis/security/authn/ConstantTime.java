package io.trellis.security.authn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Comparisons of secrets whose running time does not depend on where the inputs differ. */
final class ConstantTime {

  private ConstantTime() {}

  /**
   * True when both arrays hold the same bytes. The time depends only on the lengths (as in EMQX's
   * {@code compare_secure}, unequal lengths return at once: lengths of hashes are not secret).
   */
  static boolean equals(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return false;
    }
    // MessageDigest.isEqual has been constant-time for equal lengths since JDK 6u17.
    return MessageDigest.isEqual(a, b);
  }

  static boolean equals(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return equals(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}

package io.trellis.security.authn;

import java.util.Objects;

/**
 * A stored credential as EMQX keeps it: {@code passwordHash} (lower-case hex for md5/sha/pbkdf2,
 * the password itself for plain, the full {@code $2b$...} string for bcrypt) and {@code salt}
 * (used as its UTF-8 bytes; empty when none). {@link #toString()} shows neither.
 */
public record HashedPassword(String passwordHash, String salt) {

  public HashedPassword {
    Objects.requireNonNull(passwordHash, "passwordHash");
    salt = salt == null ? "" : salt;
  }

  @Override
  public String toString() {
    return "HashedPassword[******]";
  }
}

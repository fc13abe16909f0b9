package io.trellis.security.authn;

import java.util.Objects;

/** One user of the built-in database. {@link #toString()} hides the hash and salt. */
public record UserRecord(String userId, HashedPassword password, boolean superuser) {

  public UserRecord {
    if (userId == null || userId.isEmpty()) {
      throw new IllegalArgumentException("user_id must be a non-empty string");
    }
    Objects.requireNonNull(password, "password");
  }

  @Override
  public String toString() {
    return "UserRecord[userId=" + userId + ", superuser=" + superuser + "]";
  }
}

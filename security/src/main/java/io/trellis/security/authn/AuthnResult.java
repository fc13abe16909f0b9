package io.trellis.security.authn;

import java.util.Objects;

/**
 * An authenticator's verdict, EMQX's three outcomes: allow (with the superuser flag), deny (with a
 * reason for the log; never a password or hash), or ignore (this authenticator has no opinion, the
 * chain asks the next one).
 */
public sealed interface AuthnResult {

  /** The client is who it says; {@code superuser} clients bypass authorization. */
  record Allow(boolean superuser) implements AuthnResult {}

  /** The client is refused; {@code reason} is safe to log. */
  record Deny(String reason) implements AuthnResult {
    public Deny {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** No opinion: the next authenticator in the chain decides. */
  record Ignore() implements AuthnResult {}

  Ignore IGNORE = new Ignore();

  static Allow allow(boolean superuser) {
    return new Allow(superuser);
  }

  static Deny deny(String reason) {
    return new Deny(reason);
  }

  default boolean allowed() {
    return this instanceof Allow;
  }
}

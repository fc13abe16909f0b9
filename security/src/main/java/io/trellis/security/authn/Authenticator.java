package io.trellis.security.authn;

/**
 * One link of the authentication chain (EMQX's {@code authentication = [ ... ]} entries).
 *
 * <p>Implementations must be thread-safe: the broker calls them from many connections at once.
 * They must never log or put into a result a password, a hash or a salt.
 */
public interface Authenticator {

  /** A short name for logs and metrics, e.g. {@code password_based:built_in_database}. */
  String id();

  AuthnResult authenticate(ConnectInfo connect);
}

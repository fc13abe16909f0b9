package io.trellis.security.authn;

import java.util.List;
import java.util.Objects;

/**
 * Tries authenticators in order, with EMQX's semantics.
 *
 * <ul>
 *   <li>No authenticator configured: the client is allowed anonymously (not a superuser), unless
 *       {@code allow_anonymous = false}, which denies it.
 *   <li>Otherwise each authenticator in turn: {@code ignore} asks the next one, the first
 *       {@code allow} or {@code deny} is final.
 *   <li>Every authenticator ignored the client: denied. Anonymous access is never a fallback once
 *       an authenticator is configured.
 *   <li>An authenticator that throws or returns null denies the client (fail closed).
 * </ul>
 */
public final class AuthenticationChain {

  private final List<Authenticator> authenticators;
  private final boolean allowAnonymous;

  public AuthenticationChain(List<? extends Authenticator> authenticators, boolean allowAnonymous) {
    this.authenticators = List.copyOf(authenticators);
    this.allowAnonymous = allowAnonymous;
  }

  /** EMQX's default: anonymous clients are allowed only while no authenticator is configured. */
  public static AuthenticationChain of(List<? extends Authenticator> authenticators) {
    return new AuthenticationChain(authenticators, true);
  }

  public List<Authenticator> authenticators() {
    return authenticators;
  }

  /** Always returns {@link AuthnResult.Allow} or {@link AuthnResult.Deny}, never ignore. */
  public AuthnResult authenticate(ConnectInfo connect) {
    Objects.requireNonNull(connect, "connect");
    if (authenticators.isEmpty()) {
      return allowAnonymous
          ? AuthnResult.allow(false)
          : AuthnResult.deny("anonymous access is disabled (allow_anonymous = false) and no"
              + " authenticator is configured");
    }
    for (Authenticator authenticator : authenticators) {
      AuthnResult result;
      try {
        result = authenticator.authenticate(connect);
      } catch (RuntimeException e) {
        // Fail closed. Only the exception's type: its message could carry a credential.
        return AuthnResult.deny(authenticator.id() + " failed (" + e.getClass().getSimpleName()
            + ")");
      }
      if (result == null) {
        return AuthnResult.deny(authenticator.id() + " returned no result");
      }
      if (!(result instanceof AuthnResult.Ignore)) {
        return result;
      }
    }
    return AuthnResult.deny("no authenticator accepted the client (all "
        + authenticators.size() + " ignored it)");
  }
}

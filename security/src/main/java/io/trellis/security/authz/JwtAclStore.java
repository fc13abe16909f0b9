package io.trellis.security.authz;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ACL claims of the clients that logged in with a JWT, as an authorization source: put it
 * first in {@code Authorizer}'s sources (EMQX checks a client's own ACL before the configured
 * sources). A client with an ACL gets its answer from it (allow, or deny for anything it does
 * not list or after the token expired); a client without one is {@code NOMATCH}, so the
 * configured sources decide.
 *
 * <p>{@code JwtAuthenticator} records a client's ACL (or its absence) at every successful JWT
 * login; the broker calls {@link #forget} when that client's connection ends, so that a later
 * login of the same client id by another mechanism does not inherit it.
 */
public final class JwtAclStore implements AuthzSource {

  private final Map<String, JwtAcl> byClientId = new ConcurrentHashMap<>();
  private final Clock clock;

  public JwtAclStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public JwtAclStore() {
    this(Clock.systemUTC());
  }

  /** Replaces what was recorded for the client; {@code acl == null} removes it. */
  public void record(String clientId, JwtAcl acl) {
    if (acl == null) {
      byClientId.remove(clientId);
    } else {
      byClientId.put(clientId, acl);
    }
  }

  public void forget(String clientId) {
    byClientId.remove(clientId);
  }

  public JwtAcl get(String clientId) {
    return byClientId.get(clientId);
  }

  @Override
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic) {
    JwtAcl acl = byClientId.get(client.clientId());
    return acl == null ? AuthzResult.NOMATCH
        : acl.authorize(client, action, topic, clock.instant());
  }
}

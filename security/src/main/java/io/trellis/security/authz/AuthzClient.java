package io.trellis.security.authz;

import java.net.InetAddress;
import java.util.Objects;

/**
 * Who is asking, as authorization sees it: the client id, the username ({@code null} when none),
 * the peer address ({@code null} when unknown, e.g. in tests) and whether authentication made it a
 * superuser (superusers bypass every source, as in EMQX).
 */
public record AuthzClient(String clientId, String username, InetAddress peerAddress,
    boolean superuser) {

  public AuthzClient {
    Objects.requireNonNull(clientId, "clientId");
  }
}

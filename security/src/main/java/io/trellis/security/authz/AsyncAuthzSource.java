package io.trellis.security.authz;

import java.util.concurrent.CompletableFuture;

/**
 * A source that may need I/O to answer (the HTTP service): {@link Authorizer#authorizeAsync} asks
 * it through {@link #authorizeAsync} so that no thread waits for the answer. Its synchronous
 * {@link #authorize} stays for callers off the event loops.
 */
public interface AsyncAuthzSource extends AuthzSource {

  /**
   * The answer, or a future of it. Should never complete exceptionally (a source that cannot
   * answer says {@link AuthzResult#NOMATCH}); if it does, the request is denied.
   */
  CompletableFuture<AuthzResult> authorizeAsync(AuthzClient client, AuthzAction action,
      String topic);
}

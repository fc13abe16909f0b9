package io.trellis.security.authz;

/**
 * One authorization source (EMQX's {@code authorization.sources} entries: file, built-in database,
 * HTTP, ...). Implementations must be thread-safe.
 *
 * <p>{@code topic} is the PUBLISH topic name or the SUBSCRIBE topic filter.
 */
public interface AuthzSource {

  AuthzResult authorize(AuthzClient client, AuthzAction action, String topic);
}

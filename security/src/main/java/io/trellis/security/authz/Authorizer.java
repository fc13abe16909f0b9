package io.trellis.security.authz;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * EMQX's {@code authorization { sources, no_match, deny_action, cache }}: sources are asked in
 * order and the first allow or deny wins; when none matches, {@code no_match} decides. Superusers
 * are allowed without asking any source, as in EMQX.
 *
 * <p>{@code no_match} defaults to deny (EMQX 6; 5.x allowed): a request no rule speaks for is
 * refused, so a missing rule fails closed. The shipped acl.conf ends with {@code {allow, all}.},
 * which keeps an out-of-the-box broker open for ordinary topics.
 *
 * <p>A source that throws denies the request (EMQX logs and moves on to the next source; failing
 * closed keeps an outage of one source from widening access).
 *
 * <p>Thread-safe when its sources are; the optional {@link AuthzCache} is per connection.
 */
public final class Authorizer {

  public static final AuthzResult DEFAULT_NO_MATCH = AuthzResult.DENY;

  /** What the broker does with a denied request ({@code deny_action}). */
  public enum DenyAction {
    /** Refuse the request (SUBACK/PUBACK failure code, or drop) and keep the connection. */
    IGNORE,
    /** Refuse the request and close the connection. */
    DISCONNECT;

    public static DenyAction fromConfig(String name) {
      for (DenyAction a : values()) {
        if (a.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
          return a;
        }
      }
      throw new IllegalArgumentException("authorization.deny_action: unknown value '" + name
          + "'; use ignore or disconnect");
    }
  }

  private final List<AuthzSource> sources;
  private final AuthzResult noMatch;
  private final DenyAction denyAction;

  public Authorizer(List<? extends AuthzSource> sources, AuthzResult noMatch,
      DenyAction denyAction) {
    if (noMatch == AuthzResult.NOMATCH || noMatch == null) {
      throw new IllegalArgumentException("authorization.no_match must be allow or deny");
    }
    this.sources = List.copyOf(sources);
    this.noMatch = noMatch;
    this.denyAction = Objects.requireNonNull(denyAction, "denyAction");
  }

  public Authorizer(List<? extends AuthzSource> sources) {
    this(sources, DEFAULT_NO_MATCH, DenyAction.IGNORE);
  }

  /** Parses {@code authorization.no_match}: {@code allow | deny}. */
  public static AuthzResult noMatchFromConfig(String name) {
    String v = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "allow" -> AuthzResult.ALLOW;
      case "deny" -> AuthzResult.DENY;
      default -> throw new IllegalArgumentException("authorization.no_match: unknown value '"
          + name + "'; use allow or deny");
    };
  }

  public AuthzResult noMatch() {
    return noMatch;
  }

  public DenyAction denyAction() {
    return denyAction;
  }

  /**
   * ALLOW or DENY, never NOMATCH. A shared subscription {@code $share/<group>/<filter>}, or
   * {@code $queue/<filter>} (which the mqtt topic layer reads as {@code $share/$queue/<filter>}),
   * is authorized as {@code <filter>}, as EMQX does for {@code $share}: otherwise
   * {@code $share/g/#} would slip past a rule denying {@code #} (a {@code $} topic is not matched by
   * wildcards) and read everything. A malformed one (no group or no filter) is denied.
   */
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic) {
    if (client.superuser()) {
      return AuthzResult.ALLOW;
    }
    String subject = topic;
    if (action.type() == AuthzAction.Type.SUBSCRIBE) {
      subject = sharedSubscriptionFilter(topic);
      if (subject == null) {
        return AuthzResult.DENY;
      }
    }
    for (AuthzSource source : sources) {
      AuthzResult result;
      try {
        result = source.authorize(client, action, subject);
      } catch (RuntimeException e) {
        // Fail closed: a source that cannot answer (HTTP down, bug) must not open the door.
        return AuthzResult.DENY;
      }
      if (result == AuthzResult.ALLOW || result == AuthzResult.DENY) {
        return result;
      }
    }
    return noMatch;
  }

  /**
   * The filter a subscription really asks for: {@code <filter>} for {@code $share/<group>/<filter>}
   * and {@code $queue/<filter>}, {@code topic} unchanged otherwise, {@code null} for a malformed
   * shared subscription.
   */
  public static String sharedSubscriptionFilter(String topic) {
    if (topic.startsWith(QUEUE_PREFIX)) {
      return topic.length() == QUEUE_PREFIX.length() ? null : topic.substring(QUEUE_PREFIX.length());
    }
    if (!topic.startsWith(SHARE_PREFIX)) {
      return topic;
    }
    int slash = topic.indexOf('/', SHARE_PREFIX.length());
    if (slash <= SHARE_PREFIX.length() || slash == topic.length() - 1) {
      return null;
    }
    return topic.substring(slash + 1);
  }

  private static final String SHARE_PREFIX = "$share/";
  private static final String QUEUE_PREFIX = "$queue/";

  /** As {@link #authorize(AuthzClient, AuthzAction, String)}, remembering answers in the cache. */
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic,
      AuthzCache cache) {
    if (client.superuser()) {
      return AuthzResult.ALLOW;
    }
    AuthzResult cached = cache.get(action, topic);
    if (cached != null) {
      return cached;
    }
    AuthzResult result = authorize(client, action, topic);
    cache.put(action, topic, result);
    return result;
  }
}

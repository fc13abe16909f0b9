package io.trellis.security.authz;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
 * <p>{@link #authorizeAsync} asks an {@link AsyncAuthzSource} (HTTP) without waiting for it and
 * the others in line; when every source it needs answers at once the returned future is already
 * complete (and shared: no allocation on that path), so the caller can go on synchronously.
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

  // Completed answers, shared: the fast path allocates no future. Never complete or obtrude them.
  private static final CompletableFuture<AuthzResult> ALLOWED =
      CompletableFuture.completedFuture(AuthzResult.ALLOW);
  private static final CompletableFuture<AuthzResult> DENIED =
      CompletableFuture.completedFuture(AuthzResult.DENY);

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

  /**
   * As {@link #authorize(AuthzClient, AuthzAction, String)}, without blocking: an
   * {@link AsyncAuthzSource} is asked through its future and the sources after it once it has
   * answered NOMATCH. Completes with ALLOW or DENY, never exceptionally. When no source needed to
   * wait, the future is already done.
   */
  public CompletableFuture<AuthzResult> authorizeAsync(AuthzClient client, AuthzAction action,
      String topic) {
    if (client.superuser()) {
      return ALLOWED;
    }
    String subject = topic;
    if (action.type() == AuthzAction.Type.SUBSCRIBE) {
      subject = sharedSubscriptionFilter(topic);
      if (subject == null) {
        return DENIED;
      }
    }
    return askFrom(0, client, action, subject);
  }

  /** As {@link #authorizeAsync(AuthzClient, AuthzAction, String)}, remembering the answer. */
  public CompletableFuture<AuthzResult> authorizeAsync(AuthzClient client, AuthzAction action,
      String topic, AuthzCache cache) {
    if (client.superuser()) {
      return ALLOWED;
    }
    AuthzResult cached = cache.get(action, topic);
    if (cached != null) {
      return completed(cached);
    }
    CompletableFuture<AuthzResult> answer = authorizeAsync(client, action, topic);
    if (answer.isDone()) {
      cache.put(action, topic, answer.join());
      return answer;
    }
    return answer.thenApply(result -> {
      cache.put(action, topic, result);
      return result;
    });
  }

  private CompletableFuture<AuthzResult> askFrom(int first, AuthzClient client,
      AuthzAction action, String subject) {
    for (int i = first; i < sources.size(); i++) {
      AuthzSource source = sources.get(i);
      AuthzResult result;
      try {
        if (source instanceof AsyncAuthzSource async) {
          CompletableFuture<AuthzResult> answer = async.authorizeAsync(client, action, subject);
          if (!answer.isDone()) {
            int next = i + 1;
            return answer.handle((r, error) -> decided(r, error)
                    ? completed(error != null ? AuthzResult.DENY : r)
                    : askFrom(next, client, action, subject))
                .thenCompose(f -> f);
          }
          result = answer.join();
        } else {
          result = source.authorize(client, action, subject);
        }
      } catch (RuntimeException e) {
        // Fail closed: a source that cannot answer (HTTP down, bug) must not open the door.
        return DENIED;
      }
      if (result == AuthzResult.ALLOW || result == AuthzResult.DENY) {
        return completed(result);
      }
    }
    return completed(noMatch);
  }

  /** An error is final (deny); so is an allow or a deny; NOMATCH (or nothing) asks on. */
  private static boolean decided(AuthzResult r, Throwable error) {
    return error != null || r == AuthzResult.ALLOW || r == AuthzResult.DENY;
  }

  private static CompletableFuture<AuthzResult> completed(AuthzResult result) {
    return result == AuthzResult.ALLOW ? ALLOWED : DENIED;
  }
}

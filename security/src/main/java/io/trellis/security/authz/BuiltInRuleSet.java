package io.trellis.security.authz;

import java.util.List;
import java.util.Objects;

/**
 * The whole rule list of one subject of the built-in database: a username, a client id, or
 * everyone ({@link Scope#ALL}, {@code who} null). It is the unit every change is made of
 * ({@link BuiltInAuthzDatabase#apply}), so a change can be logged or replicated as one value.
 *
 * @param rules in order, first match wins; {@code null} removes the subject's list
 */
public record BuiltInRuleSet(Scope scope, String who, List<BuiltInRule> rules) {

  /** Whom a list is for; the source asks client id, then username, then all, as EMQX does. */
  public enum Scope {
    USERNAME("username"), CLIENTID("clientid"), ALL("all");

    private final String field;

    Scope(String field) {
      this.field = field;
    }

    /** The JSON field naming the subject: {@code username}, {@code clientid}. */
    public String field() {
      return field;
    }
  }

  public BuiltInRuleSet {
    Objects.requireNonNull(scope, "scope");
    if (scope == Scope.ALL) {
      who = null;
    } else if (who == null || who.isEmpty()) {
      throw new IllegalArgumentException(scope.field() + ": missing; give a non-empty "
          + scope.field());
    }
    rules = rules == null ? null : List.copyOf(rules);
  }

  /** The change that removes {@code who}'s list. */
  public static BuiltInRuleSet removal(Scope scope, String who) {
    return new BuiltInRuleSet(scope, who, null);
  }

  public boolean isRemoval() {
    return rules == null;
  }
}

package io.trellis.security.authz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * EMQX's {@code authorization.sources} entry {@code type = built_in_database}: rule lists kept in
 * memory per username, per client id and for all clients. A request is matched against the
 * client id's rules, then the username's, then the rules for all (EMQX's order); the first rule
 * that matches decides, none is {@link AuthzResult#NOMATCH}. Each rule matches as an acl.conf rule
 * for {@code all} would, placeholders included.
 *
 * <p>Every change goes through {@link #apply} with a whole {@link BuiltInRuleSet}; the server
 * persists and replicates those. Reads are lock-free on the event loops; a change
 * replaces a subject's list at once, so a request sees the old list or the new one.
 */
public final class BuiltInAuthzDatabase implements AuthzSource {

  /** EMQX's {@code max_rules} default: rules per username, per client id, and for all. */
  public static final int DEFAULT_MAX_RULES = 100;

  private record Entry(BuiltInRuleSet set, List<AclRule> compiled) {}

  private final int maxRules;
  private final Map<String, Entry> byUsername = new ConcurrentSkipListMap<>();
  private final Map<String, Entry> byClientId = new ConcurrentSkipListMap<>();
  private volatile Entry all;

  public BuiltInAuthzDatabase(int maxRules) {
    if (maxRules < 1) {
      throw new IllegalArgumentException("max_rules must be at least 1, got " + maxRules);
    }
    this.maxRules = maxRules;
  }

  public int maxRules() {
    return maxRules;
  }

  /**
   * Stores {@code set} in place of the subject's list, or removes the list when it is a removal.
   *
   * @return the list it replaced, if any
   * @throws IllegalArgumentException when the list holds more than {@code max_rules} rules
   */
  public synchronized Optional<BuiltInRuleSet> apply(BuiltInRuleSet set) {
    Entry entry = null;
    if (!set.isRemoval()) {
      check(set);
      List<AclRule> compiled = new ArrayList<>(set.rules().size());
      for (BuiltInRule r : set.rules()) {
        compiled.add(r.compile());
      }
      entry = new Entry(set, List.copyOf(compiled));
    }
    Entry old;
    switch (set.scope()) {
      case USERNAME -> old = entry == null ? byUsername.remove(set.who())
          : byUsername.put(set.who(), entry);
      case CLIENTID -> old = entry == null ? byClientId.remove(set.who())
          : byClientId.put(set.who(), entry);
      default -> {
        old = all;
        all = entry;
      }
    }
    return Optional.ofNullable(old).map(Entry::set);
  }

  /**
   * Whether {@link #apply} would take {@code set}, without changing anything: a change can be
   * refused before it is logged for every node.
   *
   * @throws IllegalArgumentException when the list holds more than {@code max_rules} rules
   */
  public void check(BuiltInRuleSet set) {
    if (!set.isRemoval() && set.rules().size() > maxRules) {
      throw new IllegalArgumentException("rules: " + set.rules().size() + " rules for "
          + describe(set) + ", more than max_rules = " + maxRules
          + " (raise authorization.sources[].max_rules or split the list)");
    }
  }

  /** The stored list of a subject ({@code who} is ignored for ALL). */
  public Optional<BuiltInRuleSet> get(BuiltInRuleSet.Scope scope, String who) {
    Entry e = switch (scope) {
      case USERNAME -> byUsername.get(who);
      case CLIENTID -> byClientId.get(who);
      case ALL -> all;
    };
    return Optional.ofNullable(e).map(Entry::set);
  }

  /** The lists of one scope, ordered by subject. */
  public List<BuiltInRuleSet> list(BuiltInRuleSet.Scope scope) {
    return switch (scope) {
      case USERNAME -> byUsername.values().stream().map(Entry::set).toList();
      case CLIENTID -> byClientId.values().stream().map(Entry::set).toList();
      case ALL -> all == null ? List.of() : List.of(all.set());
    };
  }

  /** Every stored list: usernames, client ids, then the list for all. */
  public List<BuiltInRuleSet> snapshot() {
    List<BuiltInRuleSet> out = new ArrayList<>(list(BuiltInRuleSet.Scope.USERNAME));
    out.addAll(list(BuiltInRuleSet.Scope.CLIENTID));
    out.addAll(list(BuiltInRuleSet.Scope.ALL));
    return out;
  }

  @Override
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic) {
    String[] levels = null;
    Entry[] order = {byClientId.get(client.clientId()),
        client.username() == null ? null : byUsername.get(client.username()), all};
    for (Entry e : order) {
      if (e == null) {
        continue;
      }
      if (levels == null) {
        levels = TopicFilters.levels(topic);
      }
      for (AclRule rule : e.compiled()) {
        if (rule.matches(client, action, topic, levels)) {
          return rule.permission() == AclRule.Permission.ALLOW ? AuthzResult.ALLOW
              : AuthzResult.DENY;
        }
      }
    }
    return AuthzResult.NOMATCH;
  }

  private static String describe(BuiltInRuleSet set) {
    return set.scope() == BuiltInRuleSet.Scope.ALL ? "all clients"
        : set.scope().field() + " '" + set.who() + "'";
  }
}

package io.trellis.security.authz;

import java.util.List;

/**
 * The topic matching authorization needs, kept here because security must not depend on the mqtt
 * module.
 *
 * <p>{@link #covers} answers "is everything {@code subject} can match also matched by
 * {@code ruleFilter}?", where {@code subject} is a PUBLISH topic name or a SUBSCRIBE filter:
 * {@code t/#} covers {@code t/a/+} and {@code t} (a {@code #} also matches the parent level, as in
 * MQTT and EMQX); {@code t/+} covers {@code t/a} but not {@code t/#} (EMQX lets {@code +} match a
 * subscriber's {@code #}, which lets an allow rule for {@code t/+} admit a subscription to all of
 * {@code t/#}; here it does not). Wildcards at the first level never match a topic starting with
 * {@code $} (MQTT 4.7.2), so {@code #} does not cover {@code $SYS/#}.
 */
final class TopicFilters {

  private TopicFilters() {}

  /** Levels of a topic or filter: {@code "a//b"} has three, the middle one empty. */
  static String[] levels(String topic) {
    return topic.split("/", -1);
  }

  /** {@code rule} as levels, where {@code literal[i]} marks a level that is never a wildcard. */
  static boolean covers(List<String> rule, boolean[] literal, String[] subject) {
    boolean dollar = subject.length > 0 && subject[0].startsWith("$");
    for (int i = 0; i < rule.size(); i++) {
      String word = rule.get(i);
      boolean wildcard = !literal[i];
      if (wildcard && word.equals("#")) {
        return !(i == 0 && dollar);
      }
      if (i >= subject.length) {
        return false;
      }
      if (wildcard && word.equals("+")) {
        if ((i == 0 && dollar) || subject[i].equals("#")) {
          return false;
        }
        continue;
      }
      // A literal level covers only itself: a subscriber's "+" or "#" here reaches further, even
      // when the literal is "+" or "#" (a placeholder filled with a username like "+").
      if (isWildcard(subject[i]) || !word.equals(subject[i])) {
        return false;
      }
    }
    return rule.size() == subject.length;
  }

  private static boolean isWildcard(String level) {
    return level.equals("+") || level.equals("#");
  }

  static boolean covers(String ruleFilter, String subject) {
    List<String> rule = List.of(levels(ruleFilter));
    return covers(rule, new boolean[rule.size()], levels(subject));
  }

  /**
   * Null when {@code filter} is a valid topic filter, else what is wrong with it: '#' only as the
   * last whole level, '+' only as a whole level, not empty.
   */
  static String filterProblem(String filter) {
    if (filter.isEmpty()) {
      return "a topic filter cannot be empty";
    }
    String[] levels = levels(filter);
    for (int i = 0; i < levels.length; i++) {
      String level = levels[i];
      if (level.contains("#") && (!level.equals("#") || i != levels.length - 1)) {
        return "'#' must be a whole level and the last one (like \"t/#\")";
      }
      if (level.contains("+") && !level.equals("+")) {
        return "'+' must be a whole level (like \"t/+/x\")";
      }
    }
    return null;
  }
}

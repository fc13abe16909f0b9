package io.trellis.security.authz;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One rule of the built-in database source as EMQX's API writes it:
 * {@code {permission: allow|deny, action: publish|subscribe|all, topic, qos: [0,1,2], retain:
 * true|false|all}}. {@code topic} is a filter with the file source's placeholders
 * ({@code ${username}}, {@code ${clientid}}), or {@code "eq t/#"} for a filter matched only
 * literally. {@code qos} empty means every level; {@code retain} null means either (publish only).
 *
 * <p>Checked when made: the errors name the field ({@code topic}, {@code qos}, ...) so the API can
 * answer 400 with them.
 */
public record BuiltInRule(AclRule.Permission permission, AclRule.ActionRule.Kind action,
    String topic, Set<Integer> qos, Boolean retain) {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Set<Integer> ALL_QOS = Set.of(0, 1, 2);

  public BuiltInRule {
    if (permission == null) {
      throw new IllegalArgumentException("permission: missing; use allow or deny");
    }
    if (action == null) {
      throw new IllegalArgumentException("action: missing; use publish, subscribe or all");
    }
    qos = qos == null || qos.equals(ALL_QOS) ? Set.of() : Set.copyOf(qos);
    for (int q : qos) {
      if (q < 0 || q > 2) {
        throw new IllegalArgumentException("qos: " + q + " is not a QoS level; use 0, 1 or 2");
      }
    }
    pattern(topic); // validates
  }

  /** Parses {@code allow | deny}. */
  public static AclRule.Permission permission(String text) {
    if (text == null) {
      throw new IllegalArgumentException("permission: missing; use allow or deny");
    }
    return switch (lower(text)) {
      case "allow" -> AclRule.Permission.ALLOW;
      case "deny" -> AclRule.Permission.DENY;
      default -> throw new IllegalArgumentException("permission: '" + text
          + "' is not allow or deny");
    };
  }

  /** Parses {@code publish | subscribe | all}. */
  public static AclRule.ActionRule.Kind action(String text) {
    if (text == null) {
      throw new IllegalArgumentException("action: missing; use publish, subscribe or all");
    }
    return switch (lower(text)) {
      case "publish" -> AclRule.ActionRule.Kind.PUBLISH;
      case "subscribe" -> AclRule.ActionRule.Kind.SUBSCRIBE;
      case "all" -> AclRule.ActionRule.Kind.ALL;
      default -> throw new IllegalArgumentException("action: '" + text
          + "' is not publish, subscribe or all");
    };
  }

  /** The QoS levels as EMQX lists them: all three when the rule does not restrict them. */
  public List<Integer> qosList() {
    return List.copyOf(new TreeSet<>(qos.isEmpty() ? ALL_QOS : qos));
  }

  /** The rule as the file source's matcher runs it. */
  AclRule compile() {
    return new AclRule(permission, new AclRule.All(), new AclRule.ActionRule(action, qos, retain),
        List.of(pattern(topic)), 0);
  }

  private static AclRule.TopicPattern pattern(String topic) {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("topic: missing; give a topic filter such as \"t/#\"");
    }
    if (topic.startsWith("eq ")) {
      return new AclRule.Eq(topic.substring(3));
    }
    String problem = TopicFilters.filterProblem(topic);
    if (problem != null) {
      throw new IllegalArgumentException("topic: bad topic filter \"" + topic + "\": " + problem);
    }
    Matcher m = PLACEHOLDER.matcher(topic);
    while (m.find()) {
      if (!m.group(1).equals("username") && !m.group(1).equals("clientid")) {
        throw new IllegalArgumentException("topic: unknown placeholder ${" + m.group(1) + "} in \""
            + topic + "\"; use ${username} or ${clientid}");
      }
    }
    return AclRule.Filter.of(topic);
  }

  private static String lower(String text) {
    return text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
  }
}

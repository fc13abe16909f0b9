package io.trellis.security.authz;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The rules of a JWT's {@code acl} claim, in either of EMQX's formats:
 *
 * <ul>
 *   <li>the original one, {@code {"pub": [topics], "sub": [topics], "all": [topics]}}: allow
 *       rules for publish, subscribe and both;
 *   <li>the list of rules (EMQX 5.5+), {@code [{"permission": "allow" | "deny", "action": "pub" |
 *       "publish" | "sub" | "subscribe" | "all", "topic": "t/1"} ...]} (or {@code "topics": [...]}),
 *       with optional {@code "qos": [0, 1]} and {@code "retain": true | false}; first match wins.
 * </ul>
 *
 * <p>Topics are filters with {@code ${username}} and {@code ${clientid}} placeholders, or
 * {@code "eq t/#"} for the exact text. As EMQX does, a request no rule matches is denied (a token
 * that carries an ACL grants only what it lists), and once the token has expired everything is
 * denied.
 */
public final class JwtAcl {

  private final List<AclRule> rules;
  private final Instant expiresAt;

  private JwtAcl(List<AclRule> rules, Instant expiresAt) {
    this.rules = List.copyOf(rules);
    this.expiresAt = expiresAt;
  }

  /**
   * @param expiresAt the token's {@code exp}, or {@code null} when it has none
   * @throws IllegalArgumentException saying what in the claim is malformed
   */
  public static JwtAcl parse(JsonNode claim, Instant expiresAt) {
    List<AclRule> rules = new ArrayList<>();
    if (claim.isObject()) {
      addLegacy(rules, claim, "pub", AclRule.ActionRule.Kind.PUBLISH);
      addLegacy(rules, claim, "sub", AclRule.ActionRule.Kind.SUBSCRIBE);
      addLegacy(rules, claim, "all", AclRule.ActionRule.Kind.ALL);
    } else if (claim.isArray()) {
      int i = 0;
      for (JsonNode rule : claim) {
        rules.add(rule(rule, i++));
      }
    } else {
      throw new IllegalArgumentException("acl claim must be an object {\"pub\": [...], \"sub\":"
          + " [...], \"all\": [...]} or a list of rules");
    }
    return new JwtAcl(rules, expiresAt);
  }

  private static void addLegacy(List<AclRule> rules, JsonNode claim, String field,
      AclRule.ActionRule.Kind kind) {
    JsonNode topics = claim.get(field);
    if (topics == null) {
      return;
    }
    rules.add(new AclRule(AclRule.Permission.ALLOW, new AclRule.All(),
        new AclRule.ActionRule(kind, Set.of(), null), topics(topics, "acl." + field), 0));
  }

  private static AclRule rule(JsonNode rule, int index) {
    String at = "acl[" + index + "]";
    if (!rule.isObject()) {
      throw new IllegalArgumentException(at + " must be an object");
    }
    AclRule.Permission permission = switch (text(rule, "permission", at)) {
      case "allow" -> AclRule.Permission.ALLOW;
      case "deny" -> AclRule.Permission.DENY;
      default -> throw new IllegalArgumentException(at + ".permission must be allow or deny");
    };
    AclRule.ActionRule.Kind kind = switch (text(rule, "action", at)) {
      case "pub", "publish" -> AclRule.ActionRule.Kind.PUBLISH;
      case "sub", "subscribe" -> AclRule.ActionRule.Kind.SUBSCRIBE;
      case "all" -> AclRule.ActionRule.Kind.ALL;
      default -> throw new IllegalArgumentException(at + ".action must be publish, subscribe or"
          + " all");
    };
    Set<Integer> qos = new HashSet<>();
    JsonNode q = rule.get("qos");
    if (q != null) {
      for (JsonNode n : q.isArray() ? q : List.of(q)) {
        if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() > 2) {
          throw new IllegalArgumentException(at + ".qos must list 0, 1 or 2");
        }
        qos.add(n.asInt());
      }
    }
    Boolean retain = null;
    JsonNode r = rule.get("retain");
    if (r != null && !(r.isTextual() && r.asText().equals("all"))) {
      if (!r.isBoolean()) {
        throw new IllegalArgumentException(at + ".retain must be true, false or \"all\"");
      }
      retain = r.asBoolean();
    }
    JsonNode topics = rule.has("topics") ? rule.get("topics") : rule.get("topic");
    if (topics == null) {
      throw new IllegalArgumentException(at + " needs a topic or topics");
    }
    return new AclRule(permission, new AclRule.All(), new AclRule.ActionRule(kind, qos, retain),
        topics(topics, at), index);
  }

  private static String text(JsonNode rule, String field, String at) {
    JsonNode n = rule.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException(at + "." + field + " is missing");
    }
    return n.asText().trim().toLowerCase(Locale.ROOT);
  }

  private static List<AclRule.TopicPattern> topics(JsonNode node, String at) {
    List<AclRule.TopicPattern> out = new ArrayList<>();
    for (JsonNode t : node.isArray() ? node : List.of(node)) {
      if (!t.isTextual() || t.asText().isEmpty()) {
        throw new IllegalArgumentException(at + ": topics must be non-empty strings");
      }
      String topic = t.asText();
      if (topic.startsWith("eq ")) {
        out.add(new AclRule.Eq(topic.substring(3)));
        continue;
      }
      String problem = TopicFilters.filterProblem(topic);
      if (problem != null) {
        throw new IllegalArgumentException(at + ": topic '" + topic + "': " + problem);
      }
      out.add(AclRule.Filter.of(topic));
    }
    return out;
  }

  public Instant expiresAt() {
    return expiresAt;
  }

  /** ALLOW or DENY, never NOMATCH: the claim speaks for every request of its client. */
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic,
      Instant now) {
    if (expiresAt != null && !now.isBefore(expiresAt)) {
      return AuthzResult.DENY;
    }
    String[] levels = TopicFilters.levels(topic);
    for (AclRule rule : rules) {
      if (rule.matches(client, action, topic, levels)) {
        return rule.permission() == AclRule.Permission.ALLOW ? AuthzResult.ALLOW
            : AuthzResult.DENY;
      }
    }
    return AuthzResult.DENY;
  }
}

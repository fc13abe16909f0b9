package io.trellis.security.authz;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressNetwork.IPAddressGenerator;
import inet.ipaddr.ipv6.IPv6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compiled acl.conf rule: {@code {Permission, Who, Action, Topics}} ({@code {allow, all}} is a
 * rule whose who, action and topics match everything). {@code line} is where it starts in its file.
 */
public record AclRule(Permission permission, Who who, ActionRule action,
    List<TopicPattern> topics, int line) {

  public enum Permission { ALLOW, DENY }

  public AclRule {
    topics = topics == null ? null : List.copyOf(topics);
  }

  /** True when this rule speaks for the request; {@code null} topics means all topics. */
  boolean matches(AuthzClient client, AuthzAction request, String topic, String[] levels) {
    if (!who.matches(client) || !action.matches(request)) {
      return false;
    }
    if (topics == null) {
      return true;
    }
    for (TopicPattern pattern : topics) {
      if (pattern.matches(client, topic, levels)) {
        return true;
      }
    }
    return false;
  }

  /** Who a rule is for. */
  public sealed interface Who {
    boolean matches(AuthzClient client);
  }

  /** {@code all}. */
  record All() implements Who {
    public boolean matches(AuthzClient client) {
      return true;
    }
  }

  /** A value that is compared exactly, or searched with a regular expression ({@code {re, "..."}}). */
  record StringMatch(String exact, Pattern regex) {
    boolean matches(String value) {
      if (value == null) {
        return false;
      }
      // As Erlang's re:run: the expression may match anywhere; anchor it with ^...$ to pin it.
      return regex != null ? regex.matcher(value).find() : exact.equals(value);
    }
  }

  /** {@code {username, "u"}}, {@code {user, "u"}}, {@code {username, {re, "^u"}}}. */
  record Username(StringMatch match) implements Who {
    public boolean matches(AuthzClient client) {
      return match.matches(client.username());
    }
  }

  /** {@code {clientid, "c"}}, {@code {client, "c"}}, {@code {clientid, {re, "^c"}}}. */
  record ClientId(StringMatch match) implements Who {
    public boolean matches(AuthzClient client) {
      return match.matches(client.clientId());
    }
  }

  /** {@code {ipaddr, "a"}} and {@code {ipaddrs, [...]}}: addresses or CIDR blocks. */
  record IpAddresses(List<IPAddress> blocks) implements Who {
    public boolean matches(AuthzClient client) {
      InetAddress peer = client.peerAddress();
      if (peer == null) {
        return false;
      }
      IPAddress address = new IPAddressGenerator().from(peer);
      if (address instanceof IPv6Address v6 && v6.isIPv4Mapped()) {
        address = v6.getEmbeddedIPv4Address();
      }
      for (IPAddress block : blocks) {
        if (block.getIPVersion() == address.getIPVersion() && block.contains(address)) {
          return true;
        }
      }
      return false;
    }
  }

  /** {@code {'and', [...]}}: every one matches. */
  record And(List<Who> all) implements Who {
    public boolean matches(AuthzClient client) {
      return all.stream().allMatch(who -> who.matches(client));
    }
  }

  /** {@code {'or', [...]}}: any one matches. */
  record Or(List<Who> any) implements Who {
    public boolean matches(AuthzClient client) {
      return any.stream().anyMatch(who -> who.matches(client));
    }
  }

  /**
   * {@code publish | subscribe | all}, optionally with conditions: {@code qos} (the allowed QoS
   * levels; empty means any) and {@code retain} (publish only; null means either).
   */
  public record ActionRule(Kind kind, Set<Integer> qos, Boolean retain) {
    public enum Kind { PUBLISH, SUBSCRIBE, ALL }

    public static final ActionRule ANY = new ActionRule(Kind.ALL, Set.of(), null);

    public ActionRule {
      qos = Set.copyOf(qos);
    }

    boolean matches(AuthzAction request) {
      boolean kindMatches = switch (kind) {
        case ALL -> true;
        case PUBLISH -> request.type() == AuthzAction.Type.PUBLISH;
        case SUBSCRIBE -> request.type() == AuthzAction.Type.SUBSCRIBE;
      };
      if (!kindMatches || (!qos.isEmpty() && !qos.contains(request.qos()))) {
        return false;
      }
      return retain == null || request.type() != AuthzAction.Type.PUBLISH
          || retain == request.retain();
    }
  }

  /** One entry of a rule's topic list. */
  public sealed interface TopicPattern {
    boolean matches(AuthzClient client, String topic, String[] levels);
  }

  /** {@code {eq, "t/#"}}: the request's topic or filter must be exactly this text. */
  record Eq(String literal) implements TopicPattern {
    public boolean matches(AuthzClient client, String topic, String[] levels) {
      return literal.equals(topic);
    }
  }

  /**
   * A topic filter, possibly with {@code ${username}} / {@code ${clientid}} placeholders. A level
   * holding a placeholder is matched literally: a client named {@code +} or {@code #} cannot turn
   * {@code users/${username}/#} into a wildcard, and a value holding {@code /} matches no topic (it is one level). A
   * client without the value (no username) is not matched by a pattern that needs it.
   */
  static final class Filter implements TopicPattern {
    private final String template;
    private final List<String> levels;
    private final boolean[] placeholderLevels;
    private final boolean anyPlaceholder;

    private Filter(String template) {
      this.template = template;
      this.levels = List.of(TopicFilters.levels(template));
      this.placeholderLevels = new boolean[levels.size()];
      boolean any = false;
      for (int i = 0; i < levels.size(); i++) {
        placeholderLevels[i] = levels.get(i).contains("${");
        any |= placeholderLevels[i];
      }
      this.anyPlaceholder = any;
    }

    static Filter of(String template) {
      return new Filter(template);
    }

    String template() {
      return template;
    }

    @Override
    public boolean matches(AuthzClient client, String topic, String[] subject) {
      if (!anyPlaceholder) {
        return TopicFilters.covers(levels, placeholderLevels, subject);
      }
      List<String> rendered = new ArrayList<>(levels.size());
      for (int i = 0; i < levels.size(); i++) {
        String level = levels.get(i);
        if (placeholderLevels[i]) {
          level = render(level, client);
          if (level == null) {
            return false;
          }
        }
        rendered.add(level);
      }
      return TopicFilters.covers(rendered, placeholderLevels, subject);
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(username|clientid)}");

    /** One pass, so a username that looks like "${clientid}" is not expanded again. */
    private static String render(String level, AuthzClient client) {
      Matcher m = PLACEHOLDER.matcher(level);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = m.group(1).equals("username") ? client.username() : client.clientId();
        if (value == null) {
          return null;
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return out.toString();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Filter f && f.template.equals(template);
    }

    @Override
    public int hashCode() {
      return template.hashCode();
    }

    @Override
    public String toString() {
      return "Filter[" + template + "]";
    }
  }
}

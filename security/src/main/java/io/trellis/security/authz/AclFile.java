package io.trellis.security.authz;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import io.trellis.security.authz.AclRule.ActionRule;
import io.trellis.security.authz.AclRule.Permission;
import io.trellis.security.authz.AclRule.TopicPattern;
import io.trellis.security.authz.AclRule.Who;
import io.trellis.security.authz.ErlangTerm.Atom;
import io.trellis.security.authz.ErlangTerm.Int;
import io.trellis.security.authz.ErlangTerm.Str;
import io.trellis.security.authz.ErlangTerm.TermList;
import io.trellis.security.authz.ErlangTerm.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The file authorization source: EMQX's {@code acl.conf} rules, first match wins.
 *
 * <p>Rule forms: {@code {allow|deny, Who, Action, Topics}.} and {@code {allow|deny, all}.}
 *
 * <ul>
 *   <li>Who: {@code all}, {@code {username|user, "u"}}, {@code {clientid|client, "c"}} (either
 *       may be {@code {re, "regex"}}), {@code {ipaddr, "10.0.0.1"}} or a CIDR,
 *       {@code {ipaddrs, ["10.0.0.0/8", ...]}}, {@code {'and', [Who, ...]}},
 *       {@code {'or', [Who, ...]}}.
 *   <li>Action: {@code publish}, {@code subscribe}, {@code all}, or
 *       {@code {publish|subscribe|all, [{qos, 1 | [0, 1]}, {retain, true|false|all}]}}.
 *   <li>Topics: a list of topic filters, which may hold {@code ${username}} and
 *       {@code ${clientid}}, and {@code {eq, "t/#"}} (or the string {@code "eq t/#"}) for a
 *       filter matched only literally.
 * </ul>
 *
 * <p>A SUBSCRIBE filter is matched by containment (see {@link TopicFilters}). Scope: rules are
 * immutable once parsed; reloading means parsing again and swapping the source.
 */
public final class AclFile implements AuthzSource {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Set<String> PLACEHOLDERS = Set.of("username", "clientid");
  private static final IPAddressStringParameters STRICT_IP = new IPAddressStringParameters.Builder()
      .allowEmpty(false).allowAll(false).allowSingleSegment(false)
      .setRangeOptions(IPAddressStringParameters.RangeParameters.NO_RANGE)
      .getIPv4AddressParametersBuilder().allow_inet_aton(false).getParentBuilder()
      .toParams();

  private final String source;
  private final List<AclRule> rules;

  private AclFile(String source, List<AclRule> rules) {
    this.source = source;
    this.rules = List.copyOf(rules);
  }

  public static AclFile load(Path file) throws AclParseException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AclParseException(file.toString(), 0, "cannot read the file: " + e.getMessage());
    }
    return parse(file.toString(), text);
  }

  /** {@code source} names the file in error messages. */
  public static AclFile parse(String source, String text) throws AclParseException {
    List<AclRule> rules = new ArrayList<>();
    for (ErlangTerm form : ErlangTermReader.read(source, text)) {
      rules.add(new Compiler(source).rule(form));
    }
    return new AclFile(source, rules);
  }

  public String source() {
    return source;
  }

  public List<AclRule> rules() {
    return rules;
  }

  @Override
  public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic) {
    String[] levels = TopicFilters.levels(topic);
    for (AclRule rule : rules) {
      if (rule.matches(client, action, topic, levels)) {
        return rule.permission() == Permission.ALLOW ? AuthzResult.ALLOW : AuthzResult.DENY;
      }
    }
    return AuthzResult.NOMATCH;
  }

  /** Turns terms into rules, with errors that say what to write instead. */
  private record Compiler(String file) {

    AclRule rule(ErlangTerm form) throws AclParseException {
      if (!(form instanceof Tuple t) || (t.elements().size() != 2 && t.elements().size() != 4)) {
        throw error(form, "a rule is {allow|deny, Who, Action, Topics} or {allow|deny, all},"
            + " found " + form.describe());
      }
      List<ErlangTerm> e = t.elements();
      Permission permission = permission(e.get(0));
      if (e.size() == 2) {
        if (!(e.get(1) instanceof Atom a && a.name().equals("all"))) {
          throw error(e.get(1), "a two-element rule must be {" + lower(permission) + ", all},"
              + " found " + e.get(1).describe());
        }
        return new AclRule(permission, new AclRule.All(), ActionRule.ANY, null, form.line());
      }
      return new AclRule(permission, who(e.get(1)), action(e.get(2)), topics(e.get(3)),
          form.line());
    }

    private Permission permission(ErlangTerm term) throws AclParseException {
      if (term instanceof Atom a && (a.name().equals("allow") || a.name().equals("deny"))) {
        return a.name().equals("allow") ? Permission.ALLOW : Permission.DENY;
      }
      throw error(term, "a rule starts with allow or deny, found " + term.describe());
    }

    private Who who(ErlangTerm term) throws AclParseException {
      if (term instanceof Atom a && a.name().equals("all")) {
        return new AclRule.All();
      }
      if (term instanceof Tuple t && t.elements().size() == 2
          && t.elements().get(0) instanceof Atom tag) {
        ErlangTerm value = t.elements().get(1);
        switch (tag.name()) {
          case "username", "user":
            return new AclRule.Username(stringMatch(tag.name(), value));
          case "clientid", "client":
            return new AclRule.ClientId(stringMatch(tag.name(), value));
          case "ipaddr":
            return new AclRule.IpAddresses(List.of(ipBlock("ipaddr", value)));
          case "ipaddrs": {
            List<IPAddress> blocks = new ArrayList<>();
            for (ErlangTerm item : list("ipaddrs", value)) {
              blocks.add(ipBlock("ipaddrs", item));
            }
            return new AclRule.IpAddresses(blocks);
          }
          case "and", "or": {
            List<Who> parts = new ArrayList<>();
            for (ErlangTerm item : list(tag.name(), value)) {
              parts.add(who(item));
            }
            if (parts.isEmpty()) {
              throw error(value, "{'" + tag.name() + "', [...]} needs at least one Who");
            }
            return tag.name().equals("and") ? new AclRule.And(parts) : new AclRule.Or(parts);
          }
          default:
            break;
        }
      }
      throw error(term, "unknown Who " + term.describe() + "; use all, {username, \"u\"},"
          + " {clientid, \"c\"}, {ipaddr, \"127.0.0.1\"}, {ipaddrs, [\"10.0.0.0/8\"]},"
          + " {'and', [...]} or {'or', [...]}");
    }

    private AclRule.StringMatch stringMatch(String key, ErlangTerm value)
        throws AclParseException {
      if (value instanceof Tuple t && t.isTagged("re", 2)) {
        String regex = string(key + " {re, ...}", t.elements().get(1));
        try {
          return new AclRule.StringMatch(null, Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
          throw error(value, "bad regular expression in {" + key + ", {re, ...}}: "
              + e.getDescription());
        }
      }
      return new AclRule.StringMatch(string(key, value), null);
    }

    private IPAddress ipBlock(String key, ErlangTerm term) throws AclParseException {
      String text = string(key, term);
      try {
        IPAddress address = new IPAddressString(text.trim(), STRICT_IP).toAddress();
        // "10.1.2.3/8" means the network 10.0.0.0/8, as EMQX's esockd_cidr reads it.
        return address.isPrefixed() ? address.toPrefixBlock() : address.withoutPrefixLength();
      } catch (AddressStringException | RuntimeException e) {
        throw error(term, "'" + text + "' is not an IP address or"
            + " CIDR block; write e.g. \"127.0.0.1\", \"10.0.0.0/8\" or \"fd00::/8\"");
      }
    }

    private ActionRule action(ErlangTerm term) throws AclParseException {
      if (term instanceof Atom a) {
        return new ActionRule(kind(a), Set.of(), null);
      }
      if (term instanceof Tuple t && t.elements().size() == 2
          && t.elements().get(0) instanceof Atom a) {
        ActionRule.Kind kind = kind(a);
        Set<Integer> qos = new HashSet<>();
        Boolean retain = null;
        for (ErlangTerm cond : list(a.name() + " conditions", t.elements().get(1))) {
          if (cond instanceof Tuple c && c.isTagged("qos", 2)) {
            ErlangTerm v = c.elements().get(1);
            for (ErlangTerm q : v instanceof TermList l ? l.elements() : List.of(v)) {
              if (!(q instanceof Int i) || i.value() > 2) {
                throw error(q, "qos must be 0, 1 or 2 (or a list of them), found "
                    + q.describe());
              }
              qos.add((int) i.value());
            }
          } else if (cond instanceof Tuple c && c.isTagged("retain", 2)
              && c.elements().get(1) instanceof Atom r
              && Set.of("true", "false", "all").contains(r.name())) {
            if (kind == ActionRule.Kind.SUBSCRIBE) {
              throw error(cond, "{retain, ...} applies to publish, not to subscribe");
            }
            retain = r.name().equals("all") ? null : Boolean.valueOf(r.name());
          } else {
            throw error(cond, "unknown action condition " + cond.describe()
                + "; use {qos, 0..2 | [0, 1, 2]} or {retain, true | false | all}");
          }
        }
        return new ActionRule(kind, qos, retain);
      }
      throw error(term, "unknown Action " + term.describe() + "; use publish, subscribe, all,"
          + " or e.g. {publish, [{qos, 1}, {retain, false}]}");
    }

    private ActionRule.Kind kind(Atom a) throws AclParseException {
      return switch (a.name()) {
        case "publish" -> ActionRule.Kind.PUBLISH;
        case "subscribe" -> ActionRule.Kind.SUBSCRIBE;
        case "all" -> ActionRule.Kind.ALL;
        default -> throw error(a, "unknown action '" + a.name()
            + "'; use publish, subscribe or all");
      };
    }

    private List<TopicPattern> topics(ErlangTerm term) throws AclParseException {
      if (!(term instanceof TermList list)) {
        throw error(term, "Topics must be a list, e.g. [\"t/#\", {eq, \"#\"}], found "
            + term.describe());
      }
      List<TopicPattern> patterns = new ArrayList<>();
      for (ErlangTerm item : list.elements()) {
        if (item instanceof Tuple t && t.isTagged("eq", 2)) {
          patterns.add(new AclRule.Eq(string("eq", t.elements().get(1))));
        } else if (item instanceof Str s && s.value().startsWith("eq ")) {
          // EMQX's string spelling of {eq, F}: "eq t/#".
          patterns.add(new AclRule.Eq(s.value().substring(3)));
        } else if (item instanceof Str s) {
          patterns.add(filter(s));
        } else {
          throw error(item, "a topic is a \"filter\" or {eq, \"filter\"}, found "
              + item.describe());
        }
      }
      return patterns;
    }

    private TopicPattern filter(Str s) throws AclParseException {
      String problem = TopicFilters.filterProblem(s.value());
      if (problem != null) {
        throw error(s, "bad topic filter \"" + s.value() + "\": " + problem);
      }
      Matcher m = PLACEHOLDER.matcher(s.value());
      while (m.find()) {
        if (!PLACEHOLDERS.contains(m.group(1))) {
          throw error(s, "unknown placeholder ${" + m.group(1) + "} in \"" + s.value()
              + "\"; use ${username} or ${clientid}");
        }
      }
      return AclRule.Filter.of(s.value());
    }

    private String string(String key, ErlangTerm term) throws AclParseException {
      if (term instanceof Str s) {
        return s.value();
      }
      throw error(term, key + " needs a \"double-quoted string\", found " + term.describe());
    }

    private List<ErlangTerm> list(String key, ErlangTerm term) throws AclParseException {
      if (term instanceof TermList l) {
        return l.elements();
      }
      throw error(term, key + " needs a list [...], found " + term.describe());
    }

    private AclParseException error(ErlangTerm at, String problem) {
      return new AclParseException(file, at.line(), problem);
    }

    private static String lower(Permission p) {
      return p.name().toLowerCase(Locale.ROOT);
    }
  }
}

package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authz.AclRule.ActionRule;
import io.trellis.security.authz.AclRule.Permission;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.CsvSource;

class AclFileParseTest {

  private static AclRule only(String text) throws AclParseException {
    List<AclRule> rules = AclFile.parse("acl.conf", text).rules();
    assertThat(rules).hasSize(1);
    return rules.get(0);
  }

  /** Every rule form EMQX documents parses. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{allow, all}.",
      "{deny, all}.",
      "{allow, all, all, [\"#\"]}.",
      "{allow, {username, \"u\"}, publish, [\"t\"]}.",
      "{allow, {user, \"u\"}, publish, [\"t\"]}.",
      "{allow, {username, {re, \"^dash\"}}, subscribe, [\"$SYS/#\"]}.",
      "{allow, {clientid, \"c\"}, subscribe, [\"t/+\"]}.",
      "{allow, {client, \"c\"}, subscribe, [\"t/+\"]}.",
      "{allow, {clientid, {re, \"^sensor-\"}}, all, [\"s/${clientid}/#\"]}.",
      "{allow, {ipaddr, \"127.0.0.1\"}, all, [\"$SYS/#\", \"#\"]}.",
      "{allow, {ipaddr, \"10.0.0.0/8\"}, all, [\"#\"]}.",
      "{allow, {ipaddrs, [\"10.0.0.0/8\", \"fd00::/8\", \"192.168.1.1\"]}, all, [\"#\"]}.",
      "{allow, {'and', [{username, \"u\"}, {ipaddr, \"127.0.0.1\"}]}, publish, [\"t\"]}.",
      "{allow, {'or', [{username, \"u\"}, {clientid, \"c\"}]}, publish, [\"t\"]}.",
      "{allow, {and, [{username, \"u\"}]}, publish, [\"t\"]}.",
      "{allow, all, {publish, [{qos, 1}, {retain, true}]}, [\"t\"]}.",
      "{allow, all, {publish, [{qos, [0, 1]}, {retain, all}]}, [\"t\"]}.",
      "{allow, all, {subscribe, [{qos, 2}]}, [\"t\"]}.",
      "{allow, all, {all, []}, [\"t\"]}.",
      "{deny, all, subscribe, [\"$SYS/#\", {eq, \"#\"}, {eq, \"+/#\"}]}.",
      "{allow, all, publish, [\"users/${username}/#\", \"c/${clientid}\"]}.",
      "{allow, all, publish, []}.",
      "  % a comment\n{allow, % inline comment\n all}. % trailing\n",
      "{'allow', 'all'}.",
  })
  void emqxRuleFormsParse(String text) throws AclParseException {
    assertThat(AclFile.parse("acl.conf", text).rules()).hasSize(1);
  }

  @Test
  void compiledRuleCarriesPermissionActionTopicsAndLine() throws AclParseException {
    AclRule rule = only("\n\n{deny, {username, \"u\"}, {publish, [{qos, [1, 2]}, {retain, false}]},"
        + " [\"a/#\", {eq, \"#\"}]}.");

    assertThat(rule.permission()).isEqualTo(Permission.DENY);
    assertThat(rule.line()).isEqualTo(3);
    assertThat(rule.action()).isEqualTo(new ActionRule(ActionRule.Kind.PUBLISH, Set.of(1, 2), false));
    assertThat(rule.topics()).containsExactly(AclRule.Filter.of("a/#"), new AclRule.Eq("#"));
    assertThat(rule.who()).isEqualTo(new AclRule.Username(new AclRule.StringMatch("u", null)));
  }

  @Test
  void rulesKeepTheirOrder() throws AclParseException {
    AclFile file = AclFile.parse("acl.conf", "{deny, all, publish, [\"a\"]}.\n{allow, all}.\n");
    assertThat(file.rules()).extracting(AclRule::permission, AclRule::line).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Permission.DENY, 1),
        org.assertj.core.groups.Tuple.tuple(Permission.ALLOW, 2));
  }

  /** Each error names the file, the line and what to write instead. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "{allow, all}                                      | acl.conf:1: expected '.' to end the rule",
      "{allow, all}. {allow, all                          | acl.conf:1: unexpected end of file: '{' opened on line 1",
      "\\n{permit, all}.                                   | acl.conf:2: a rule starts with allow or deny, found atom 'permit'",
      "{allow}.                                           | acl.conf:1: a rule is {allow|deny, Who, Action, Topics}",
      "{allow, everyone}.                                 | acl.conf:1: a two-element rule must be {allow, all}",
      "{allow, {name, \"u\"}, publish, [\"t\"]}.          | acl.conf:1: unknown Who {name, ...}; use all, {username, \"u\"}",
      "{allow, {username, u}, publish, [\"t\"]}.          | acl.conf:1: username needs a \"double-quoted string\", found atom 'u'",
      "{allow, {username, {re, \"(\"}}, publish, [\"t\"]}. | bad regular expression in {username, {re, ...}}",
      "{allow, {ipaddr, \"10/8\"}, all, [\"t\"]}.         | '10/8' is not an IP address or CIDR block",
      "{allow, {ipaddr, \"300.1.1.1\"}, all, [\"t\"]}.    | '300.1.1.1' is not an IP address",
      "{allow, {ipaddrs, \"10.0.0.0/8\"}, all, [\"t\"]}.  | ipaddrs needs a list [...]",
      "{allow, {'and', []}, all, [\"t\"]}.                | {'and', [...]} needs at least one Who",
      "{allow, all, publsh, [\"t\"]}.                     | acl.conf:1: unknown action 'publsh'; use publish, subscribe or all",
      "{allow, all, {publish, [{qos, 3}]}, [\"t\"]}.      | qos must be 0, 1 or 2",
      "{allow, all, {subscribe, [{retain, true}]}, [\"t\"]}. | {retain, ...} applies to publish",
      "{allow, all, {publish, [{dup, true}]}, [\"t\"]}.   | unknown action condition",
      "{allow, all, publish, \"t/#\"}.                    | Topics must be a list",
      "{allow, all, publish, [t]}.                        | a topic is a \"filter\" or {eq, \"filter\"}, found atom 't'",
      "{allow, all, publish, [\"t/#/x\"]}.                | bad topic filter \"t/#/x\": '#' must be a whole level",
      "{allow, all, publish, [\"u/${user}\"]}.            | unknown placeholder ${user}",
      "{allow, All}.                                      | variables are not allowed",
      "{allow, all, publish, [\"t]}.                      | acl.conf:1: the string that starts here is not closed",
      "{allow; all}.                                      | expected ',' or '}', found ';",
  })
  void errorsNameFileLineAndFix(String text, String expected) {
    assertThatThrownBy(() -> AclFile.parse("acl.conf", text.replace("\\n", "\n")))
        .isInstanceOf(AclParseException.class)
        .hasMessageContaining(expected.trim());
  }

  @Test
  void errorLineIsTheLineOfTheBadTerm() {
    String text = "{allow, all, publish, [\"ok\"]}.\n{deny,\n  all,\n  {publish, [{qos, 7}]},\n"
        + "  [\"t\"]}.\n";
    assertThatThrownBy(() -> AclFile.parse("/etc/trellis/acl.conf", text))
        .isInstanceOfSatisfying(AclParseException.class, e -> {
          assertThat(e.file()).isEqualTo("/etc/trellis/acl.conf");
          assertThat(e.line()).isEqualTo(4);
          assertThat(e.getMessage()).startsWith("/etc/trellis/acl.conf:4: qos must be");
        });
  }

  @Test
  void missingFileIsAClearError() {
    Path missing = Path.of("does-not-exist-" + System.nanoTime(), "acl.conf");
    assertThatThrownBy(() -> AclFile.load(missing))
        .isInstanceOf(AclParseException.class)
        .hasMessageContaining("cannot read the file");
  }
}

package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authz.AclRule.ActionRule.Kind;
import io.trellis.security.authz.AclRule.Permission;
import io.trellis.security.authz.BuiltInRuleSet.Scope;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuiltInAuthzDatabaseTest {

  private static final AuthzClient C1_ALICE = new AuthzClient("c1", "alice", null, false);
  private static final AuthzClient C2_BOB = new AuthzClient("c2", "bob", null, false);
  private static final AuthzClient C3_ANON = new AuthzClient("c3", null, null, false);

  private static BuiltInRule rule(Permission p, Kind action, String topic) {
    return new BuiltInRule(p, action, topic, Set.of(), null);
  }

  @Test
  void clientIdRulesComeBeforeUsernameRulesWhichComeBeforeRulesForAll() {
    BuiltInAuthzDatabase db = new BuiltInAuthzDatabase(10);
    db.apply(new BuiltInRuleSet(Scope.ALL, null, List.of(rule(Permission.DENY, Kind.ALL, "t/#"))));
    db.apply(new BuiltInRuleSet(Scope.USERNAME, "alice",
        List.of(rule(Permission.ALLOW, Kind.PUBLISH, "t/a"))));
    db.apply(new BuiltInRuleSet(Scope.CLIENTID, "c1",
        List.of(rule(Permission.DENY, Kind.PUBLISH, "t/a/#"))));
    AuthzAction pub = AuthzAction.publish(0, false);
    assertThat(db.authorize(C1_ALICE, pub, "t/a")).isEqualTo(AuthzResult.DENY); // client id first
    assertThat(db.authorize(new AuthzClient("c9", "alice", null, false), pub, "t/a"))
        .isEqualTo(AuthzResult.ALLOW); // then username
    assertThat(db.authorize(C2_BOB, pub, "t/a")).isEqualTo(AuthzResult.DENY); // then all
    assertThat(db.authorize(C2_BOB, pub, "u/a")).isEqualTo(AuthzResult.NOMATCH);
    assertThat(db.authorize(C3_ANON, pub, "t/x")).isEqualTo(AuthzResult.DENY);
  }

  @Test
  void placeholdersEqQosAndRetainMatchAsInTheFileSource() {
    BuiltInAuthzDatabase db = new BuiltInAuthzDatabase(10);
    db.apply(new BuiltInRuleSet(Scope.ALL, null, List.of(
        rule(Permission.ALLOW, Kind.ALL, "home/${username}/#"),
        rule(Permission.DENY, Kind.SUBSCRIBE, "eq #"),
        new BuiltInRule(Permission.DENY, Kind.PUBLISH, "q/#", Set.of(2), null),
        new BuiltInRule(Permission.DENY, Kind.PUBLISH, "r/#", Set.of(), true))));
    assertThat(db.authorize(C1_ALICE, AuthzAction.subscribe(1), "home/alice/x"))
        .isEqualTo(AuthzResult.ALLOW);
    assertThat(db.authorize(C2_BOB, AuthzAction.subscribe(1), "home/alice/x"))
        .isEqualTo(AuthzResult.NOMATCH);
    assertThat(db.authorize(C3_ANON, AuthzAction.subscribe(1), "home/+/x"))
        .isEqualTo(AuthzResult.NOMATCH); // no username: the placeholder matches nothing
    assertThat(db.authorize(C2_BOB, AuthzAction.subscribe(0), "#")).isEqualTo(AuthzResult.DENY);
    assertThat(db.authorize(C2_BOB, AuthzAction.subscribe(0), "a/#"))
        .isEqualTo(AuthzResult.NOMATCH); // eq: only "#" itself
    assertThat(db.authorize(C2_BOB, AuthzAction.publish(2, false), "q/1"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(db.authorize(C2_BOB, AuthzAction.publish(1, false), "q/1"))
        .isEqualTo(AuthzResult.NOMATCH);
    assertThat(db.authorize(C2_BOB, AuthzAction.publish(0, true), "r/1"))
        .isEqualTo(AuthzResult.DENY);
    assertThat(db.authorize(C2_BOB, AuthzAction.publish(0, false), "r/1"))
        .isEqualTo(AuthzResult.NOMATCH);
  }

  @Test
  void aChangeReplacesOrRemovesAWholeListAndSaysWhatItReplaced() {
    BuiltInAuthzDatabase db = new BuiltInAuthzDatabase(10);
    BuiltInRuleSet first = new BuiltInRuleSet(Scope.USERNAME, "alice",
        List.of(rule(Permission.DENY, Kind.ALL, "#")));
    assertThat(db.apply(first)).isEmpty();
    BuiltInRuleSet second = new BuiltInRuleSet(Scope.USERNAME, "alice", List.of());
    assertThat(db.apply(second)).contains(first);
    assertThat(db.get(Scope.USERNAME, "alice")).contains(second);
    assertThat(db.apply(BuiltInRuleSet.removal(Scope.USERNAME, "alice"))).contains(second);
    assertThat(db.get(Scope.USERNAME, "alice")).isEmpty();
    assertThat(db.snapshot()).isEmpty();
  }

  @Test
  void badRulesAndTooManyRulesAreRefusedNamingTheField() {
    BuiltInAuthzDatabase db = new BuiltInAuthzDatabase(1);
    assertThatThrownBy(() -> db.apply(new BuiltInRuleSet(Scope.ALL, null,
        List.of(rule(Permission.DENY, Kind.ALL, "a"), rule(Permission.DENY, Kind.ALL, "b")))))
        .hasMessageContaining("max_rules = 1");
    assertThatThrownBy(() -> rule(Permission.DENY, Kind.ALL, "a/#/b"))
        .hasMessageStartingWith("topic: bad topic filter");
    assertThatThrownBy(() -> rule(Permission.DENY, Kind.ALL, "a/${peerhost}"))
        .hasMessageContaining("${peerhost}").hasMessageContaining("${username} or ${clientid}");
    assertThatThrownBy(() -> new BuiltInRule(Permission.DENY, Kind.ALL, "a", Set.of(3), null))
        .hasMessageStartingWith("qos:");
    assertThatThrownBy(() -> BuiltInRule.action("pub")).hasMessageStartingWith("action:");
    assertThatThrownBy(() -> BuiltInRule.permission(null)).hasMessageStartingWith("permission: missing");
    assertThatThrownBy(() -> new BuiltInRuleSet(Scope.USERNAME, "", List.of()))
        .hasMessageStartingWith("username: missing");
    assertThat(db.snapshot()).isEmpty();
  }
}

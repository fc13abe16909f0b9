package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthorizerTest {

  private static final AuthzClient ALICE = new AuthzClient("c1", "alice", null, false);
  private static final AuthzClient ROOT = new AuthzClient("c2", "root", null, true);
  private static final AuthzAction PUB = AuthzAction.publish(0, false);

  private static AuthzSource fixed(AuthzResult result, List<String> calls, String name) {
    return (client, action, topic) -> {
      calls.add(name);
      return result;
    };
  }

  @Test
  void sourcesAreAskedInOrderAndTheFirstAnswerWins() {
    List<String> calls = new ArrayList<>();
    Authorizer authorizer = new Authorizer(List.of(
        fixed(AuthzResult.NOMATCH, calls, "file"),
        fixed(AuthzResult.DENY, calls, "db"),
        fixed(AuthzResult.ALLOW, calls, "http")));

    assertThat(authorizer.authorize(ALICE, PUB, "t")).isEqualTo(AuthzResult.DENY);
    assertThat(calls).containsExactly("file", "db");
  }

  @Test
  void noMatchDecidesWhenNoSourceSpeaksAndDefaultsToDeny() {
    List<String> calls = new ArrayList<>();
    List<AuthzSource> silent = List.of(fixed(AuthzResult.NOMATCH, calls, "file"));

    assertThat(new Authorizer(silent).authorize(ALICE, PUB, "t")).isEqualTo(AuthzResult.DENY);
    assertThat(new Authorizer(silent, AuthzResult.ALLOW, Authorizer.DenyAction.IGNORE)
        .authorize(ALICE, PUB, "t")).isEqualTo(AuthzResult.ALLOW);
    assertThat(new Authorizer(List.of()).authorize(ALICE, PUB, "t")).isEqualTo(AuthzResult.DENY);
  }

  @Test
  void aFailingSourceDenies() {
    List<String> calls = new ArrayList<>();
    AuthzSource broken = (client, action, topic) -> {
      throw new IllegalStateException("backend down");
    };
    Authorizer authorizer = new Authorizer(
        List.of(broken, fixed(AuthzResult.ALLOW, calls, "file")), AuthzResult.ALLOW,
        Authorizer.DenyAction.IGNORE);

    assertThat(authorizer.authorize(ALICE, PUB, "t")).isEqualTo(AuthzResult.DENY);
    assertThat(calls).isEmpty();
  }

  @Test
  void superusersSkipEverySource() {
    List<String> calls = new ArrayList<>();
    Authorizer authorizer = new Authorizer(List.of(fixed(AuthzResult.DENY, calls, "file")));

    assertThat(authorizer.authorize(ROOT, PUB, "$SYS/#")).isEqualTo(AuthzResult.ALLOW);
    assertThat(authorizer.authorize(ROOT, PUB, "t", new AuthzCache())).isEqualTo(AuthzResult.ALLOW);
    assertThat(calls).isEmpty();
  }

  @Test
  void cachedAnswersAreNotAskedAgain() {
    List<String> calls = new ArrayList<>();
    Authorizer authorizer = new Authorizer(List.of(fixed(AuthzResult.ALLOW, calls, "file")));
    AuthzCache cache = new AuthzCache();

    authorizer.authorize(ALICE, PUB, "t", cache);
    authorizer.authorize(ALICE, PUB, "t", cache);
    authorizer.authorize(ALICE, AuthzAction.publish(1, false), "t", cache);

    assertThat(calls).containsExactly("file", "file");
  }

  @Test
  void configValuesAreCheckedWithTheKeyName() {
    assertThat(Authorizer.noMatchFromConfig("allow")).isEqualTo(AuthzResult.ALLOW);
    assertThatThrownBy(() -> Authorizer.noMatchFromConfig("nomatch"))
        .hasMessageContaining("authorization.no_match");
    assertThat(Authorizer.DenyAction.fromConfig("disconnect"))
        .isEqualTo(Authorizer.DenyAction.DISCONNECT);
    assertThatThrownBy(() -> Authorizer.DenyAction.fromConfig("drop"))
        .hasMessageContaining("authorization.deny_action");
    assertThatThrownBy(() -> new Authorizer(List.of(), AuthzResult.NOMATCH,
        Authorizer.DenyAction.IGNORE)).hasMessageContaining("allow or deny");
  }
}

package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link Authorizer#authorizeAsync}: immediate when it can be, ordered, cached, failing closed. */
class AuthorizerAsyncTest {

  private static final AuthzClient ALICE = new AuthzClient("c1", "alice", null, false);
  private static final AuthzAction PUB = AuthzAction.publish(1, false);

  private static AuthzSource fixed(AuthzResult result, List<String> calls, String name) {
    return (client, action, topic) -> {
      calls.add(name);
      return result;
    };
  }

  /** An async source whose answer the test gives; counts how often it was asked. */
  private static final class Later implements AsyncAuthzSource {
    final List<CompletableFuture<AuthzResult>> asked = new ArrayList<>();

    @Override
    public CompletableFuture<AuthzResult> authorizeAsync(AuthzClient client, AuthzAction action,
        String topic) {
      CompletableFuture<AuthzResult> f = new CompletableFuture<>();
      asked.add(f);
      return f;
    }

    @Override
    public AuthzResult authorize(AuthzClient client, AuthzAction action, String topic) {
      throw new AssertionError("the synchronous form must not be used by authorizeAsync");
    }
  }

  @Test
  void sourcesThatAnswerAtOnceGiveACompletedSharedFuture() {
    List<String> calls = new ArrayList<>();
    Authorizer authorizer = new Authorizer(List.of(fixed(AuthzResult.NOMATCH, calls, "file"),
        fixed(AuthzResult.ALLOW, calls, "db")));
    CompletableFuture<AuthzResult> first = authorizer.authorizeAsync(ALICE, PUB, "t");
    CompletableFuture<AuthzResult> second = authorizer.authorizeAsync(ALICE, PUB, "u");
    assertThat(first).isCompletedWithValue(AuthzResult.ALLOW);
    assertThat(second).isSameAs(first); // no allocation on the synchronous path
    assertThat(calls).containsExactly("file", "db", "file", "db");
    assertThat(AuthzAction.publish(1, false)).isSameAs(PUB);
  }

  @Test
  void laterSourcesAreAskedOnlyAfterAnAsyncSourceIgnores() {
    List<String> calls = new ArrayList<>();
    Later http = new Later();
    Authorizer authorizer = new Authorizer(List.of(fixed(AuthzResult.NOMATCH, calls, "file"), http,
        fixed(AuthzResult.DENY, calls, "db")), AuthzResult.ALLOW, Authorizer.DenyAction.IGNORE);

    CompletableFuture<AuthzResult> ignored = authorizer.authorizeAsync(ALICE, PUB, "t");
    assertThat(ignored).isNotDone();
    assertThat(calls).containsExactly("file");
    http.asked.get(0).complete(AuthzResult.NOMATCH);
    assertThat(ignored).isCompletedWithValue(AuthzResult.DENY);
    assertThat(calls).containsExactly("file", "db");

    CompletableFuture<AuthzResult> allowed = authorizer.authorizeAsync(ALICE, PUB, "t");
    http.asked.get(1).complete(AuthzResult.ALLOW);
    assertThat(allowed).isCompletedWithValue(AuthzResult.ALLOW);
    assertThat(calls).containsExactly("file", "db", "file");
  }

  @Test
  void anAsyncSourceThatFailsDeniesAndNoMatchDecidesWhenAllIgnore() {
    Later http = new Later();
    Authorizer allowByDefault = new Authorizer(List.of(http), AuthzResult.ALLOW,
        Authorizer.DenyAction.IGNORE);
    CompletableFuture<AuthzResult> failed = allowByDefault.authorizeAsync(ALICE, PUB, "t");
    http.asked.get(0).completeExceptionally(new IllegalStateException("bug"));
    assertThat(failed).isCompletedWithValue(AuthzResult.DENY);

    CompletableFuture<AuthzResult> ignored = allowByDefault.authorizeAsync(ALICE, PUB, "t");
    http.asked.get(1).complete(AuthzResult.NOMATCH);
    assertThat(ignored).isCompletedWithValue(AuthzResult.ALLOW);
  }

  @Test
  void superusersAndMalformedSharedSubscriptionsNeedNoSource() {
    Later http = new Later();
    Authorizer authorizer = new Authorizer(List.of(http));
    assertThat(authorizer.authorizeAsync(new AuthzClient("r", "root", null, true), PUB, "t"))
        .isCompletedWithValue(AuthzResult.ALLOW);
    assertThat(authorizer.authorizeAsync(ALICE, AuthzAction.subscribe(0), "$share/g/"))
        .isCompletedWithValue(AuthzResult.DENY);
    assertThat(http.asked).isEmpty();
  }

  @Test
  void asyncAnswersAreCachedPerConnection() {
    Later http = new Later();
    Authorizer authorizer = new Authorizer(List.of(http));
    AuthzCache cache = new AuthzCache();
    CompletableFuture<AuthzResult> first = authorizer.authorizeAsync(ALICE, PUB, "t", cache);
    http.asked.get(0).complete(AuthzResult.ALLOW);
    assertThat(first).isCompletedWithValue(AuthzResult.ALLOW);
    assertThat(authorizer.authorizeAsync(ALICE, PUB, "t", cache))
        .isCompletedWithValue(AuthzResult.ALLOW);
    assertThat(http.asked).hasSize(1);
    assertThat(cache.get(PUB, "t")).isEqualTo(AuthzResult.ALLOW);
  }
}

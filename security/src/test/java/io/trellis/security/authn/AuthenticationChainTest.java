package io.trellis.security.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthenticationChainTest {

  private static final ConnectInfo CLIENT =
      new ConnectInfo("c1", "alice", "hunter2".getBytes(), null, "tcp:default", null, null);

  /** An authenticator with a fixed answer that records being asked. */
  private static final class Fixed implements Authenticator {
    final AuthnResult answer;
    final List<String> calls;
    final String name;

    Fixed(String name, AuthnResult answer, List<String> calls) {
      this.name = name;
      this.answer = answer;
      this.calls = calls;
    }

    @Override
    public String id() {
      return name;
    }

    @Override
    public AuthnResult authenticate(ConnectInfo connect) {
      calls.add(name);
      return answer;
    }
  }

  @Test
  void noAuthenticatorAllowsAnonymousByDefault() {
    assertThat(AuthenticationChain.of(List.of()).authenticate(CLIENT))
        .isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void noAuthenticatorAndAnonymousDisabledDenies() {
    AuthnResult result = new AuthenticationChain(List.of(), false).authenticate(CLIENT);
    assertThat(result).isInstanceOf(AuthnResult.Deny.class);
    assertThat(((AuthnResult.Deny) result).reason()).contains("allow_anonymous");
  }

  @Test
  void ignoreAsksTheNextAndTheFirstAnswerIsFinal() {
    List<String> calls = new ArrayList<>();
    AuthenticationChain chain = AuthenticationChain.of(List.of(
        new Fixed("a", AuthnResult.IGNORE, calls),
        new Fixed("b", AuthnResult.allow(true), calls),
        new Fixed("c", AuthnResult.deny("never asked"), calls)));

    assertThat(chain.authenticate(CLIENT)).isEqualTo(AuthnResult.allow(true));
    assertThat(calls).containsExactly("a", "b");
  }

  @Test
  void aDenyStopsTheChain() {
    List<String> calls = new ArrayList<>();
    AuthenticationChain chain = AuthenticationChain.of(List.of(
        new Fixed("a", AuthnResult.deny("bad password"), calls),
        new Fixed("b", AuthnResult.allow(false), calls)));

    assertThat(chain.authenticate(CLIENT)).isEqualTo(AuthnResult.deny("bad password"));
    assertThat(calls).containsExactly("a");
  }

  @Test
  void allIgnoredIsDeniedEvenWhenAnonymousIsAllowed() {
    List<String> calls = new ArrayList<>();
    AuthenticationChain chain = new AuthenticationChain(List.of(
        new Fixed("a", AuthnResult.IGNORE, calls), new Fixed("b", AuthnResult.IGNORE, calls)),
        true);

    assertThat(chain.authenticate(CLIENT)).isInstanceOf(AuthnResult.Deny.class);
    assertThat(calls).containsExactly("a", "b");
  }

  @Test
  void aFailingAuthenticatorDeniesWithoutLeakingItsMessage() {
    Authenticator broken = new Authenticator() {
      @Override
      public String id() {
        return "http";
      }

      @Override
      public AuthnResult authenticate(ConnectInfo connect) {
        throw new IllegalStateException("backend said: password hunter2 rejected");
      }
    };
    List<String> calls = new ArrayList<>();
    AuthenticationChain chain = AuthenticationChain.of(
        List.of(broken, new Fixed("b", AuthnResult.allow(false), calls)));

    assertThat(chain.authenticate(CLIENT))
        .isEqualTo(AuthnResult.deny("http failed (IllegalStateException)"));
    assertThat(calls).isEmpty();
  }

  @Test
  void connectInfoHidesThePassword() {
    assertThat(CLIENT.toString()).contains("alice").doesNotContain("hunter2").contains("******");
    assertThat(CLIENT.password()).isEqualTo("hunter2".getBytes());
  }
}

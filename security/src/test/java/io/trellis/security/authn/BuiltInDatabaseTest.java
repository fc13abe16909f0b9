package io.trellis.security.authn;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authn.PasswordHashing.Bcrypt;
import io.trellis.security.authn.PasswordHashing.SaltPosition;
import io.trellis.security.authn.PasswordHashing.Simple;
import io.trellis.security.authn.PasswordHashing.SimpleAlgorithm;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BuiltInDatabaseTest {

  private static ConnectInfo connect(String clientId, String username, String password) {
    return new ConnectInfo(clientId, username, password == null ? null : password.getBytes(UTF_8),
        null, "tcp:default", null, null);
  }

  @Test
  void usernameUsersAuthenticateWithTheirPasswordAndSuperuserFlag() {
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, PasswordHashing.emqxDefault());
    db.addUser("alice", "s3cret", false);
    db.addUser("root", "r00t", true);

    assertThat(db.authenticate(connect("any", "alice", "s3cret"))).isEqualTo(AuthnResult.allow(false));
    assertThat(db.authenticate(connect("any", "root", "r00t"))).isEqualTo(AuthnResult.allow(true));
    assertThat(db.authenticate(connect("any", "alice", "wrong")))
        .isEqualTo(AuthnResult.deny("bad username or password"));
    assertThat(db.authenticate(connect("any", "alice", null)))
        .isInstanceOf(AuthnResult.Deny.class);
    // Unknown user or no username: not ours to decide, the next authenticator may know them.
    assertThat(db.authenticate(connect("any", "bob", "s3cret"))).isEqualTo(AuthnResult.IGNORE);
    assertThat(db.authenticate(connect("alice", null, "s3cret"))).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void clientidUsersAreLookedUpByClientId() {
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.CLIENTID, new Bcrypt(5));
    db.addUser("sensor-1", "pw", false);

    assertThat(db.authenticate(connect("sensor-1", null, "pw"))).isEqualTo(AuthnResult.allow(false));
    assertThat(db.authenticate(connect("sensor-2", "sensor-1", "pw"))).isEqualTo(AuthnResult.IGNORE);
  }

  @Test
  void addUpdateDeleteAndList() {
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, PasswordHashing.emqxDefault());
    db.addUser("b", "pw-b", false);
    db.addUser("a", "pw-a", false);

    assertThatThrownBy(() -> db.addUser("a", "x", false)).hasMessageContaining("already exists");
    assertThat(db.listUsers()).containsExactly(new UserInfo("a", false), new UserInfo("b", false));

    db.updateUser("a", "new-pw", true);
    assertThat(db.authenticate(connect("c", "a", "pw-a"))).isInstanceOf(AuthnResult.Deny.class);
    assertThat(db.authenticate(connect("c", "a", "new-pw"))).isEqualTo(AuthnResult.allow(true));
    db.updateUser("a", null, false);
    assertThat(db.authenticate(connect("c", "a", "new-pw"))).isEqualTo(AuthnResult.allow(false));
    assertThatThrownBy(() -> db.updateUser("zz", "x", null)).hasMessageContaining("does not exist");

    assertThat(db.deleteUser("a")).isTrue();
    assertThat(db.deleteUser("a")).isFalse();
    assertThat(db.lookupUser("a")).isEmpty();
    assertThat(db.lookupUser("b")).contains(new UserInfo("b", false));
    assertThatThrownBy(() -> db.addUser("c", "", false)).hasMessageContaining("password");
  }

  @Test
  void concurrentWritersAndReadersDoNotLoseUsers() throws Exception {
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME,
        new Simple(SimpleAlgorithm.SHA256, SaltPosition.PREFIX));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            String user = "u" + thread + "-" + i;
            db.addUser(user, "pw" + i, false);
            assertThat(db.authenticate(connect("c", user, "pw" + i))).isEqualTo(AuthnResult.allow(false));
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(db.size()).isEqualTo(800);
  }

  @Test
  void importCountsNewIdenticalOverriddenAndFailedUsers() {
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, PasswordHashing.emqxDefault());
    UserRecord a = new UserRecord("a", new HashedPassword("h1", "s1"), false);
    UserRecord b = new UserRecord("b", new HashedPassword("h2", "s2"), false);
    db.importUsers(List.of(a, b), true);

    UserRecord bChanged = new UserRecord("b", new HashedPassword("h3", "s3"), true);
    UserRecord c = new UserRecord("c", new HashedPassword("h4", "s4"), false);
    assertThat(db.importUsers(List.of(a, bChanged, c), false))
        .isEqualTo(new ImportResult(3, 1, 0, 1, 1));
    assertThat(db.lookupUser("b")).contains(new UserInfo("b", false));
    assertThat(db.importUsers(List.of(bChanged), true)).isEqualTo(new ImportResult(1, 0, 1, 0, 0));
    assertThat(db.lookupUser("b")).contains(new UserInfo("b", true));
  }
}

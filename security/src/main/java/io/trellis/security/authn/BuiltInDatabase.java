package io.trellis.security.authn;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * EMQX's {@code password_based} authenticator with the {@code built_in_database} backend.
 *
 * <p>Outcomes, as EMQX: a client without a user id of the configured type, or whose user id is not
 * in the database, is ignored (the next authenticator decides); a client with no password or a
 * wrong one is denied; a match is allowed with the user's superuser flag.
 *
 * <p>Thread-safe: users live in a concurrent map; add, update, delete and import may run while
 * clients authenticate. Nothing here logs; results never carry a password, hash or salt.
 */
public final class BuiltInDatabase implements Authenticator {

  private final UserIdType userIdType;
  private final PasswordHashing hashing;
  private final ConcurrentMap<String, UserRecord> users = new ConcurrentHashMap<>();

  public BuiltInDatabase(UserIdType userIdType, PasswordHashing hashing) {
    this.userIdType = Objects.requireNonNull(userIdType, "userIdType");
    this.hashing = Objects.requireNonNull(hashing, "hashing");
  }

  public UserIdType userIdType() {
    return userIdType;
  }

  public PasswordHashing hashing() {
    return hashing;
  }

  @Override
  public String id() {
    return "password_based:built_in_database";
  }

  @Override
  public AuthnResult authenticate(ConnectInfo connect) {
    String userId = userIdType.of(connect);
    if (userId == null) {
      return AuthnResult.IGNORE;
    }
    UserRecord user = users.get(userId);
    if (user == null) {
      return AuthnResult.IGNORE;
    }
    if (!connect.hasPassword()) {
      return AuthnResult.deny("bad username or password (no password given)");
    }
    return hashing.check(user.password(), connect.password())
        ? AuthnResult.allow(user.superuser())
        : AuthnResult.deny("bad username or password");
  }

  /** Creates a user from a plain password, hashed with the configured algorithm. */
  public UserInfo addUser(String userId, String password, boolean superuser) {
    UserRecord user = new UserRecord(userId, hashNew(password), superuser);
    if (users.putIfAbsent(userId, user) != null) {
      throw new IllegalArgumentException("user '" + userId + "' already exists; update it instead");
    }
    return new UserInfo(userId, superuser);
  }

  /** Stores an already hashed user (an import, a replicated change), replacing any old entry. */
  public void putUser(UserRecord user) {
    users.put(user.userId(), user);
  }

  /**
   * Changes a user's password (when {@code newPassword} is not null) and/or superuser flag (when
   * {@code superuser} is not null).
   */
  public UserInfo updateUser(String userId, String newPassword, Boolean superuser) {
    return updateHashed(userId, newPassword == null ? null : hashNew(newPassword), superuser);
  }

  /**
   * Changes a user's stored hash (when {@code rehashed} is not null, already hashed: a replicated
   * change) and/or superuser flag (when {@code superuser} is not null).
   */
  public UserInfo updateHashed(String userId, HashedPassword rehashed, Boolean superuser) {
    UserRecord updated = users.computeIfPresent(userId, (id, old) -> new UserRecord(id,
        rehashed == null ? old.password() : rehashed,
        superuser == null ? old.superuser() : superuser));
    if (updated == null) {
      throw new IllegalArgumentException("user '" + userId + "' does not exist; add it first");
    }
    return new UserInfo(userId, updated.superuser());
  }

  /** True when the user existed. */
  public boolean deleteUser(String userId) {
    return users.remove(userId) != null;
  }

  public Optional<UserInfo> lookupUser(String userId) {
    return Optional.ofNullable(users.get(userId)).map(u -> new UserInfo(u.userId(), u.superuser()));
  }

  /** All users, sorted by user id. */
  public List<UserInfo> listUsers() {
    return users.values().stream()
        .map(u -> new UserInfo(u.userId(), u.superuser()))
        .sorted(Comparator.comparing(UserInfo::userId))
        .toList();
  }

  public int size() {
    return users.size();
  }

  /**
   * Stores imported users. With {@code override}, existing users are replaced (EMQX's import API);
   * without, they are kept and counted as failed (EMQX's bootstrap file).
   */
  public ImportResult importUsers(List<UserRecord> imported, boolean override) {
    int success = 0;
    int overridden = 0;
    int skipped = 0;
    int failed = 0;
    for (UserRecord user : imported) {
      UserRecord old = users.putIfAbsent(user.userId(), user);
      if (old == null) {
        success++;
      } else if (old.equals(user)) {
        skipped++;
      } else if (override) {
        users.put(user.userId(), user);
        overridden++;
      } else {
        failed++;
      }
    }
    return new ImportResult(imported.size(), success, overridden, skipped, failed);
  }

  /** Every stored user with its hash, sorted by user id: for persisting; never for output. */
  public List<UserRecord> snapshot() {
    return users.values().stream().sorted(Comparator.comparing(UserRecord::userId)).toList();
  }

  private HashedPassword hashNew(String password) {
    if (password == null || password.isEmpty()) {
      throw new IllegalArgumentException("password must be a non-empty string");
    }
    return hashing.hash(password.getBytes(StandardCharsets.UTF_8));
  }
}

package io.trellis.security.authn;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authn.PasswordHashing.SaltPosition;
import io.trellis.security.authn.PasswordHashing.Simple;
import io.trellis.security.authn.PasswordHashing.SimpleAlgorithm;
import io.trellis.security.authn.UserImport.PasswordType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserImportTest {

  // EMQX's documented example user: password "public", salt "slat_foo123", sha256 suffix.
  private static final String HASH =
      "44edc2d57cde8d79c98145003e105b90a14f1460b79186ea9cfe83942fc5abb5";
  private static final Simple SHA256_SUFFIX = new Simple(SimpleAlgorithm.SHA256, SaltPosition.SUFFIX);

  @TempDir
  Path dir;

  private static ConnectInfo connect(String username, String password) {
    return new ConnectInfo("c", username, password.getBytes(UTF_8), null, "tcp:default", null, null);
  }

  @Test
  void csvHashExportLogsIn() throws Exception {
    Path file = dir.resolve("user-credentials.csv");
    Files.writeString(file, """
        user_id,password_hash,salt,is_superuser
        emqx_u,%s,slat_foo123,true

        "quoted,user",%s,slat_foo123,false
        """.formatted(HASH, HASH));

    List<UserRecord> users = UserImport.read(file, PasswordType.HASH, SHA256_SUFFIX);
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, SHA256_SUFFIX);
    assertThat(db.importUsers(users, true)).isEqualTo(new ImportResult(2, 2, 0, 0, 0));

    assertThat(db.authenticate(connect("emqx_u", "public"))).isEqualTo(AuthnResult.allow(true));
    assertThat(db.authenticate(connect("quoted,user", "public"))).isEqualTo(AuthnResult.allow(false));
    assertThat(db.authenticate(connect("emqx_u", "nope"))).isInstanceOf(AuthnResult.Deny.class);
  }

  @Test
  void jsonHashExportLogsIn() throws Exception {
    Path file = dir.resolve("user-credentials.json");
    Files.writeString(file, """
        [
          {"user_id": "emqx_u", "password_hash": "%s", "salt": "slat_foo123", "is_superuser": true},
          {"user_id": "other", "password_hash": "%s", "salt": "slat_foo123", "is_superuser": "false"},
          {"user_id": "nosalt", "password_hash": "%s"}
        ]
        """.formatted(HASH, HASH, HASH));

    List<UserRecord> users = UserImport.read(file, PasswordType.HASH, SHA256_SUFFIX);

    assertThat(users).extracting(UserRecord::userId, UserRecord::superuser).containsExactly(
        org.assertj.core.groups.Tuple.tuple("emqx_u", true),
        org.assertj.core.groups.Tuple.tuple("other", false),
        org.assertj.core.groups.Tuple.tuple("nosalt", false));
    assertThat(users.get(2).password().salt()).isEmpty();
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, SHA256_SUFFIX);
    db.importUsers(users, true);
    assertThat(db.authenticate(connect("other", "public"))).isEqualTo(AuthnResult.allow(false));
  }

  @Test
  void plainImportsAreHashedWithTheConfiguredAlgorithm() throws Exception {
    String csv = "user_id,password,is_superuser\nalice,wonderland,false\n";
    String json = "[{\"user_id\":\"bob\",\"password\":\"builder\",\"is_superuser\":true}]";
    PasswordHashing hashing = PasswordHashing.emqxDefault();

    List<UserRecord> users = new java.util.ArrayList<>(
        UserImport.parseCsv("users.csv", csv, PasswordType.PLAIN, hashing));
    users.addAll(UserImport.parseJson("users.json", json, PasswordType.PLAIN, hashing));

    assertThat(users.get(0).password().passwordHash()).matches("[0-9a-f]{64}");
    assertThat(users.get(0).password().salt()).matches("[0-9a-f]{32}");
    BuiltInDatabase db = new BuiltInDatabase(UserIdType.USERNAME, hashing);
    db.importUsers(users, true);
    assertThat(db.authenticate(connect("alice", "wonderland"))).isEqualTo(AuthnResult.allow(false));
    assertThat(db.authenticate(connect("bob", "builder"))).isEqualTo(AuthnResult.allow(true));
  }

  @Test
  void errorsNameTheFileTheEntryAndTheFieldButNoSecret() {
    PasswordHashing h = PasswordHashing.emqxDefault();
    assertThatThrownBy(() -> UserImport.parseCsv("u.csv", "user,password_hash\nx,y\n",
        PasswordType.HASH, h))
        .hasMessageContaining("u.csv line 1").hasMessageContaining("'user_id'");
    assertThatThrownBy(() -> UserImport.parseCsv("u.csv",
        "user_id,password_hash,salt\nok,h,s\nbad,topsecrethash\n", PasswordType.HASH, h))
        .hasMessageContaining("u.csv line 3").hasMessageContaining("expected 3 fields")
        .hasMessageNotContaining("topsecrethash");
    assertThatThrownBy(() -> UserImport.parseCsv("u.csv", "user_id,password_hash\n,h\n",
        PasswordType.HASH, h))
        .hasMessageContaining("u.csv line 2: user_id is missing");
    assertThatThrownBy(() -> UserImport.parseCsv("u.csv", "user_id,password_hash\n\"x,h\n",
        PasswordType.HASH, h))
        .hasMessageContaining("quoted field is not closed");
    assertThatThrownBy(() -> UserImport.parseJson("u.json",
        "[{\"user_id\":\"a\",\"password\":\"p\"}]", PasswordType.HASH, h))
        .hasMessageContaining("u.json entry 1: password_hash is missing");
    assertThatThrownBy(() -> UserImport.parseJson("u.json",
        "[{\"user_id\":\"a\",\"password_hash\": topsecret}]", PasswordType.HASH, h))
        .hasMessageContaining("u.json: not valid JSON at line 1")
        .hasMessageNotContaining("topsecret");
    assertThatThrownBy(() -> UserImport.parseJson("u.json", "{}", PasswordType.HASH, h))
        .hasMessageContaining("expected a JSON array");
  }

  @Test
  void unknownExtensionIsRefusedClearly() throws Exception {
    Path file = dir.resolve("users.txt");
    Files.writeString(file, "x");
    assertThatThrownBy(() -> UserImport.read(file, PasswordType.HASH, null))
        .isInstanceOf(UserImportException.class)
        .hasMessageContaining("*.csv or *.json");
  }
}

package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.auth.BanList;
import io.trellis.security.authn.HashedPassword;
import io.trellis.security.authn.ImportResult;
import io.trellis.security.authn.PasswordHashing;
import io.trellis.security.authn.UserRecord;
import io.trellis.server.api.ApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The appliers of the "users" and "banned" config log kinds on one node, and the files they keep. */
class AuthChangesTest {
    private static final PasswordHashing SHA256 = new PasswordHashing.Simple(PasswordHashing.SimpleAlgorithm.SHA256,
            PasswordHashing.SaltPosition.PREFIX);

    @TempDir
    Path dir;

    private static HashedPassword hash(String password) {
        return SHA256.hash(password.getBytes(StandardCharsets.UTF_8));
    }

    private NodeAuth withDatabase() throws Exception {
        Path conf = Files.writeString(dir.resolve("trellis.conf"), """
                authentication = [ { mechanism = password_based, backend = built_in_database,
                                     password_hash_algorithm { name = sha256, salt_position = prefix } } ]
                """);
        return NodeAuth.from(TrellisConfig.load(conf, Map.of()), dir.resolve("data"));
    }

    @Test
    void aUserChangeAppliedTwiceIsAppliedOnceAndTheStateIsTheSameEverywhere() throws Exception {
        try (NodeAuth auth = withDatabase()) {
            UserChanges users = new UserChanges(auth);
            UserRecord alice = new UserRecord("alice", hash("pw-1"), false);
            users.apply(UserChanges.add(alice));
            users.apply(UserChanges.add(alice)); // again after a crash before the applied mark: no error
            ApiException taken = catchThrowableOfType(ApiException.class,
                    () -> users.apply(UserChanges.add(new UserRecord("alice", hash("pw-2"), false))));
            assertThat(taken.status()).isEqualTo(HttpResponseStatus.CONFLICT);

            HashedPassword changed = hash("pw-3");
            users.apply(UserChanges.update("alice", changed, true));
            assertThat(auth.users().lookupUser("alice").orElseThrow().superuser()).isTrue();
            assertThat(auth.users().snapshot().get(0).password()).isEqualTo(changed); // stored as it came
            ApiException unknown = catchThrowableOfType(ApiException.class, () -> users.apply(UserChanges.update("nobody", null, true)));
            assertThat(unknown.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);

            ImportResult imported = (ImportResult) users.apply(UserChanges.importing(List.of(
                    new UserRecord("bob", hash("b"), false), new UserRecord("alice", changed, true))));
            assertThat(imported.success()).isEqualTo(1);
            assertThat(imported.skipped()).isEqualTo(1);

            users.apply(UserChanges.delete("bob"));
            assertThat(catchThrowableOfType(ApiException.class, () -> users.apply(UserChanges.delete("bob"))).status())
                    .isEqualTo(HttpResponseStatus.NOT_FOUND);
            assertThat(new UserStore(dir.resolve("data")).load(SHA256)).extracting(UserRecord::userId).containsExactly("alice");
        }
    }

    @Test
    void aNodeWithoutTheBuiltInDatabaseStillKeepsTheReplicatedUsersInItsFile() throws Exception {
        try (NodeAuth auth = NodeAuth.allowAll(dir)) {
            new UserChanges(auth).apply(UserChanges.add(new UserRecord("carol", hash("c"), true)));
        }
        List<UserRecord> stored = new UserStore(dir).load(SHA256);
        assertThat(stored).singleElement().satisfies(u -> {
            assertThat(u.userId()).isEqualTo("carol");
            assertThat(u.superuser()).isTrue();
            assertThat(SHA256.check(u.password(), "c".getBytes(StandardCharsets.UTF_8))).isTrue();
        });
        assertThat(UserChanges.add(stored.get(0)).toString()).doesNotContain(stored.get(0).password().passwordHash());
    }

    @Test
    void bansArePersistedAndExpiredOnesLeaveMemoryAndTheFile() throws Exception {
        long now = System.currentTimeMillis();
        Path file;
        try (NodeAuth auth = NodeAuth.allowAll(dir)) {
            BanChanges bans = new BanChanges(auth);
            bans.apply(BanChanges.add(new BanList.Ban(BanList.As.CLIENTID, "gone", "t", "", now - 2_000, now - 1_000)));
            bans.apply(BanChanges.add(new BanList.Ban(BanList.As.CLIENTID, "kept", "t", "stays", now, Long.MAX_VALUE)));
            bans.apply(BanChanges.add(new BanList.Ban(BanList.As.USERNAME, "brief", "t", "", now, now + 1_500)));
            assertThat(auth.bans().list()).extracting(BanList.Ban::who).containsExactlyInAnyOrder("kept", "brief");
            file = new BanStore(dir).file();
            assertThat(Files.readString(file)).contains("kept", "brief").doesNotContain("gone");
        }
        try (NodeAuth restarted = NodeAuth.allowAll(dir)) {
            assertThat(restarted.bans().manual()).extracting(BanList.Ban::who).containsExactlyInAnyOrder("kept", "brief");
            await().atMost(Duration.ofSeconds(10)).until(() -> restarted.bans().find(null, "brief", null).isEmpty());
            restarted.sweepExpiredBans();
            assertThat(Files.readString(file)).contains("kept").doesNotContain("brief");

            BanChanges bans = new BanChanges(restarted);
            bans.apply(BanChanges.delete(BanList.As.CLIENTID, "kept"));
            assertThat(catchThrowableOfType(ApiException.class, () -> bans.apply(BanChanges.delete(BanList.As.CLIENTID, "kept")))
                    .status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
            assertThat(new BanStore(dir).load(System.currentTimeMillis())).isEmpty();
        }
    }

    @Test
    void aDamagedBanFileStopsTheNodeNamingTheFile() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("banned.json"), "[{\"as\": \"ip\", \"who\": \"x\"}]");
        IOException bad = catchThrowableOfType(IOException.class, () -> new BanStore(data).load(0));
        assertThat(bad).hasMessageContaining("banned.json").hasMessageContaining("entry 0")
                .hasMessageContaining("clientid, username or peerhost").hasMessageContaining("fix or move away");
        ConfigException atStart = catchThrowableOfType(ConfigException.class, () -> withDatabase());
        assertThat(atStart.problems()).anySatisfy(p -> assertThat(p).contains("banned.json"));
    }
}

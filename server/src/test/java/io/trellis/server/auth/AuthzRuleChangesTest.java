package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.config.TrellisConfig;
import io.trellis.security.authz.AclRule;
import io.trellis.security.authz.BuiltInRule;
import io.trellis.security.authz.BuiltInRuleSet;
import io.trellis.security.authz.BuiltInRuleSet.Scope;
import io.trellis.server.api.ApiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applier of the "authz_rules" config log kind on one node, and the file it keeps. */
class AuthzRuleChangesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static BuiltInRuleSet deny(Scope scope, String who, String... topics) {
        return new BuiltInRuleSet(scope, who, java.util.Arrays.stream(topics)
                .map(t -> new BuiltInRule(AclRule.Permission.DENY, AclRule.ActionRule.Kind.PUBLISH, t, Set.of(1), false))
                .toList());
    }

    /** As the log carries it: to JSON on the node that took the call, back on every node. */
    private static AuthzRuleChanges.AuthzRuleChange logged(AuthzRuleChanges.AuthzRuleChange c) throws Exception {
        return JSON.readValue(JSON.writeValueAsBytes(c), AuthzRuleChanges.AuthzRuleChange.class);
    }

    private Path file() {
        return dir.resolve("data").resolve("authz").resolve("built_in_database.json");
    }

    @Test
    void aNodeWithoutTheSourceAppliesEveryChangeToItsFile() throws Exception {
        try (NodeAuth auth = NodeAuth.allowAll(dir.resolve("data"))) {
            assertThat(auth.authzRules()).isNull();
            AuthzRuleChanges rules = new AuthzRuleChanges(auth);
            BuiltInRuleSet u1 = deny(Scope.USERNAME, "u1", "secret/#", "eq a/+");
            rules.apply(logged(AuthzRuleChanges.create(List.of(u1, deny(Scope.USERNAME, "u2", "t")))));
            assertThat(Files.readString(file())).contains("u1", "secret/#", "eq a/+", "u2");

            ApiException taken = catchThrowableOfType(ApiException.class,
                    () -> rules.apply(logged(AuthzRuleChanges.create(List.of(deny(Scope.USERNAME, "u3", "x"), u1)))));
            assertThat(taken.status()).isEqualTo(HttpResponseStatus.CONFLICT);
            assertThat(taken.getMessage()).contains("u1").doesNotContain("u3");
            assertThat(Files.readString(file())).doesNotContain("u3"); // all or nothing

            rules.apply(logged(AuthzRuleChanges.put(deny(Scope.ALL, null, "all/#"))));
            rules.apply(logged(AuthzRuleChanges.put(deny(Scope.CLIENTID, "c1", "c/#"))));
            rules.apply(logged(AuthzRuleChanges.put(deny(Scope.CLIENTID, "c1", "c/#")))); // again: the same state
            rules.apply(logged(AuthzRuleChanges.delete(Scope.USERNAME, "u2")));
            ApiException gone = catchThrowableOfType(ApiException.class,
                    () -> rules.apply(logged(AuthzRuleChanges.delete(Scope.USERNAME, "u2"))));
            assertThat(gone.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);

            // the file is what a node configured with the source reads: every rule as it was given
            AuthzRulesStore reopened = AuthzRulesStore.open(dir.resolve("data"), 100);
            assertThat(reopened.database().snapshot()).containsExactly(u1, deny(Scope.CLIENTID, "c1", "c/#"),
                    deny(Scope.ALL, null, "all/#"));

            rules.apply(logged(AuthzRuleChanges.purge()));
            assertThat(AuthzRulesStore.open(dir.resolve("data"), 100).database().snapshot()) // the file keeps "all": []
                    .flatExtracting(BuiltInRuleSet::rules).isEmpty();
        }
    }

    @Test
    void aChangeOverMaxRulesOrFromANewerVersionIsRefusedWhole() throws Exception {
        Path conf = Files.writeString(dir.resolve("trellis.conf"), """
                authorization.sources = [ { type = built_in_database, max_rules = 1 } ]
                """);
        try (NodeAuth auth = NodeAuth.from(TrellisConfig.load(conf, Map.of()), dir.resolve("data"))) {
            AuthzRuleChanges rules = new AuthzRuleChanges(auth);
            ApiException tooMany = catchThrowableOfType(ApiException.class, () -> rules.apply(logged(
                    AuthzRuleChanges.create(List.of(deny(Scope.USERNAME, "ok", "t"), deny(Scope.USERNAME, "big", "a", "b"))))));
            assertThat(tooMany.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
            assertThat(tooMany.getMessage()).contains("max_rules = 1");
            assertThat(auth.authzRules().database().snapshot()).isEmpty();

            IllegalArgumentException op = catchThrowableOfType(IllegalArgumentException.class,
                    () -> rules.apply(new AuthzRuleChanges.AuthzRuleChange("rename", null)));
            assertThat(op).hasMessageContaining("'rename'").hasMessageContaining("newer version");
            IllegalArgumentException scope = catchThrowableOfType(IllegalArgumentException.class,
                    () -> rules.apply(new AuthzRuleChanges.AuthzRuleChange("put",
                            List.of(new AuthzRuleChanges.RuleSet("group", "g", JSON.createArrayNode())))));
            assertThat(scope).hasMessageContaining("sets[0].scope").hasMessageContaining("'group'");
        }
    }
}

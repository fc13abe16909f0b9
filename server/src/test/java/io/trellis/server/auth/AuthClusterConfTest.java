package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.trellis.server.Node;
import io.trellis.server.testsupport.InJvmCluster;
import io.trellis.server.testsupport.InJvmCluster.CtlRun;
import io.trellis.server.testsupport.MqttProbes;
import io.trellis.server.testsupport.NodeApi.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Real nodes in one JVM (MQTT, API, ClusterNode on random ports) with the built-in database:
 * users and manual bans made through one node's API or ctl reach every node through the cluster
 * config log, survive restarts, reach a node that joins later; no plain password is ever written to
 * a file under the data dirs or to a log line.
 */
class AuthClusterConfTest {
    private static final String COOKIE = "Hx7Lp2Qv9Zt4-auth-cluster-conf-test";
    private static final String CONF = """
            authentication = [ { mechanism = password_based, backend = built_in_database,
                                 password_hash_algorithm { name = sha256, salt_position = prefix } } ]
            """;
    private static final String USERS = "/api/v5/authentication/password_based:built_in_database/users";
    // the plain passwords this test uses: none may appear in a file or a log line
    private static final String PW_ALICE = "Pl41n-alice-Secret-77";
    private static final String PW_ALICE2 = "Pl41n-alice-Changed-88";
    private static final String PW_BOB = "Pl41n-bob-Imported-99";
    private static final String PW_CAROL = "Pl41n-carol-Ctl-11";
    private static final String PW_DAVE = "Pl41n-dave-Refused-22";
    private static final List<String> PASSWORDS = List.of(PW_ALICE, PW_ALICE2, PW_BOB, PW_CAROL, PW_DAVE);

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private InJvmCluster cluster;

    @BeforeEach
    void captureLog() {
        log.start();
        root().addAppender(log);
        // the wrong-password logins below must not ban 127.0.0.1 on their own
        cluster = new InJvmCluster(dir, COOKIE, CONF, Map.of("TRELLIS_AUTHENTICATION_SETTINGS__FAILURE_BAN__MAX_FAILURES", "0"));
    }

    @AfterEach
    void stop() {
        root().detachAppender(log);
        cluster.close();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private Node start(String name) throws Exception {
        return cluster.start(name);
    }

    private Answer api(Node node, String method, String path, Object body) throws Exception {
        return cluster.api(node, method, path, body);
    }

    private static Mqtt5ConnAckReasonCode connect(Node node, String clientId, String user, String password) {
        return MqttProbes.connAck(node, clientId, user, password);
    }

    /** Every file under every node's home (data dir, config log, user and ban files) and every log line so far. */
    private void assertNoPlainPasswordAnywhere() throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.toString().contains("cluster-conf"));
        for (Path f : files) {
            String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            for (String pw : PASSWORDS) {
                // a boolean, so that a failure does not print the password itself
                assertThat(content.contains(pw)).as("file " + f + " holds a plain password").isFalse();
            }
        }
        List<ILoggingEvent> events = List.copyOf(log.list);
        assertThat(events).isNotEmpty();
        for (ILoggingEvent e : events) {
            StringBuilder text = new StringBuilder(e.getFormattedMessage());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                text.append(' ').append(t.getMessage());
            }
            for (String pw : PASSWORDS) {
                assertThat(text.toString().contains(pw)).as("a log line of " + e.getLoggerName() + " holds a plain password").isFalse();
            }
        }
    }

    private static final String N1 = "authc1@127.0.0.1";
    private static final String N2 = "authc2@127.0.0.1";
    private static final String N3 = "authc3@127.0.0.1";

    @Test
    void usersAndBansMadeOnOneNodeHoldOnTheOtherAndSurviveRestarts() throws Exception {
        Node one = start(N1);
        Node two = start(N2);
        cluster.join(N2, N1);

        // a user added through node 1's API logs in on node 2
        Answer created = api(one, "POST", USERS, Map.of("user_id", "alice", "password", PW_ALICE));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        cluster.awaitInSync();
        assertThat(connect(two, "a1", "alice", PW_ALICE)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(api(two, "POST", USERS, Map.of("user_id", "alice", "password", "x")).status()).isEqualTo(409);

        // a password change on node 2 holds on node 1
        Answer changed = api(two, "PUT", USERS + "/alice", Map.of("password", PW_ALICE2));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        cluster.awaitInSync();
        assertThat(connect(one, "a2", "alice", PW_ALICE)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(connect(one, "a3", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);

        // an import (plain passwords, hashed on node 2) and a ctl add on node 1 (password from stdin)
        Answer imported = api(two, "POST", "/api/v5/authentication/password_based:built_in_database/import_users?type=plain",
                "user_id,password,is_superuser\nbob," + PW_BOB + ",true\n");
        assertThat(imported.status()).as(imported.body()).isEqualTo(200);
        assertThat(imported.json().path("success").asInt()).isEqualTo(1);
        CtlRun added = cluster.ctl(N1, PW_CAROL, "users", "add", "carol");
        assertThat(added.exit()).as(added.err()).isZero();
        cluster.awaitInSync();
        assertThat(connect(one, "b1", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect(two, "c1", "carol", PW_CAROL)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(api(two, "GET", USERS + "/bob", null).json().path("is_superuser").asBoolean()).isTrue();

        // a ban made on node 2 refuses the client on node 1; lifted on node 1, node 2 lets it in
        Answer ban = api(two, "POST", "/api/v5/banned", Map.of("as", "clientid", "who", "rogue", "reason", "test"));
        assertThat(ban.status()).as(ban.body()).isEqualTo(200);
        cluster.awaitInSync();
        assertThat(connect(one, "rogue", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(api(one, "GET", "/api/v5/banned", null).json().path("data").findValuesAsText("who")).containsExactly("rogue");
        assertThat(api(one, "DELETE", "/api/v5/banned/clientid/rogue", null).status()).isEqualTo(204);
        cluster.awaitInSync();
        assertThat(connect(two, "rogue", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(api(two, "DELETE", "/api/v5/banned/clientid/rogue", null).status()).isEqualTo(404);

        // a ban that expires is gone on both nodes; one that lasts is kept for the restart below
        assertThat(cluster.ctl(N2, null, "banned", "add", "clientid", "kept", "--reason", "stays").exit()).isZero();
        String soon = Instant.now().plusSeconds(4).toString();
        assertThat(api(one, "POST", "/api/v5/banned", Map.of("as", "username", "who", "bob", "until", soon)).status()).isEqualTo(200);
        cluster.awaitInSync();
        assertThat(connect(two, "b2", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            for (Node n : cluster.nodes()) {
                assertThat(api(n, "GET", "/api/v5/banned", null).json().path("data").findValuesAsText("who")).containsExactly("kept");
            }
        });
        assertThat(connect(one, "b3", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect(two, "b4", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);

        // a delete on node 2 holds on node 1
        assertThat(api(two, "DELETE", USERS + "/carol", null).status()).isEqualTo(204);
        cluster.awaitInSync();
        assertThat(connect(one, "c2", "carol", PW_CAROL)).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        assertThat(api(one, "GET", USERS + "/carol", null).status()).isEqualTo(404);

        // node 1 down: node 2 alone is no majority of 2, the change is refused (API and ctl) and not made
        cluster.stop(N1);
        cluster.awaitAlone(N2);
        long before = two.confLog().lastTnx();
        Answer refused = api(two, "POST", USERS, Map.of("user_id", "dave", "password", PW_DAVE));
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.json().path("code").asText()).isEqualTo("CLUSTER_CONF_UNAVAILABLE");
        assertThat(refused.body()).contains("majority");
        CtlRun refusedCtl = cluster.ctl(N2, PW_DAVE, "users", "add", "dave");
        assertThat(refusedCtl.exit()).isNotZero();
        assertThat(refusedCtl.err() + refusedCtl.out()).contains("majority").doesNotContain(PW_DAVE);
        assertThat(cluster.ctl(N2, null, "banned", "add", "clientid", "nope").exit()).isNotZero();
        assertThat(two.confLog().lastTnx()).isEqualTo(before);
        assertThat(api(two, "GET", USERS + "/dave", null).status()).isEqualTo(404);

        // both restarted on their data dirs: users and the ban are there before they meet again
        cluster.stop(N2);
        one = start(N1);
        assertThat(connect(one, "a4", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect(one, "kept", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        two = start(N2);
        assertThat(connect(two, "b5", "bob", PW_BOB)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect(two, "kept", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(api(two, "GET", USERS, null).json().path("data").findValuesAsText("user_id")).containsExactly("alice", "bob");
        cluster.join(N2, N1);
        assertThat(api(one, "POST", USERS, Map.of("user_id", "dave", "password", PW_DAVE)).status()).isEqualTo(201);
        cluster.awaitInSync();
        assertThat(connect(two, "d1", "dave", PW_DAVE)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);

        assertNoPlainPasswordAnywhere();
    }

    @Test
    void aNodeThatJoinsLaterGetsTheUsersAndBans() throws Exception {
        Node one = start(N1);
        start(N2);
        cluster.join(N2, N1);
        assertThat(api(one, "POST", USERS, Map.of("user_id", "alice", "password", PW_ALICE)).status()).isEqualTo(201);
        assertThat(api(one, "POST", "/api/v5/banned", Map.of("as", "clientid", "who", "rogue")).status()).isEqualTo(200);
        assertThat(api(cluster.node(N2), "PUT", USERS + "/alice", Map.of("password", PW_ALICE2, "is_superuser", true)).status())
                .isEqualTo(200);
        cluster.awaitInSync();

        Node three = start(N3);
        assertThat(connect(three, "a0", "alice", PW_ALICE2)).as("not in the cluster yet")
                .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        cluster.join(N3, N2);
        cluster.awaitInSync();
        assertThat(three.confLog().appliedTnx()).isEqualTo(3);
        assertThat(connect(three, "a1", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(connect(three, "rogue", "alice", PW_ALICE2)).isEqualTo(Mqtt5ConnAckReasonCode.BANNED);
        assertThat(api(three, "GET", USERS + "/alice", null).json().path("is_superuser").asBoolean()).isTrue();
        // its files have what it caught up: hashes and the ban
        Path data = cluster.dataDir(N3);
        assertThat(Files.readString(data.resolve("authn").resolve("built_in_database.json"))).contains("alice", "password_hash");
        assertThat(Files.readString(data.resolve("banned.json"))).contains("rogue");

        assertNoPlainPasswordAnywhere();
    }
}

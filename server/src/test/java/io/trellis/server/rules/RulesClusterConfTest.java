package io.trellis.server.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.trellis.cluster.NodeName;
import io.trellis.server.Node;
import io.trellis.server.testsupport.InJvmCluster;
import io.trellis.server.testsupport.InJvmCluster.CtlRun;
import io.trellis.server.testsupport.NodeApi.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes in one JVM (MQTT, API, ClusterNode with distribution and RPC on random ports),
 * clustered: rule engine changes made through any node's API go through the cluster config log.
 */
class RulesClusterConfTest {
    private static final String COOKIE = "Kq2Rr7Vw1Yz4-cluster-conf-test-cookie";
    private static final List<String> NAMES = List.of("conf1@127.0.0.1", "conf2@127.0.0.1", "conf3@127.0.0.1");
    private static final Map<String, Object> RULE = Map.of("id", "fwd", "sql", "SELECT * FROM \"in/#\"",
            "actions", List.of(Map.of("function", "republish", "args", Map.of("topic", "out/${clientid}", "payload", "${payload}"))));

    @TempDir
    Path dir;

    private InJvmCluster cluster;

    @BeforeEach
    void newCluster() {
        cluster = new InJvmCluster(dir, COOKIE, "", Map.of("TRELLIS_RULE_ENGINE__SSRF__ENABLE", "true"));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** Starts the three nodes and joins the second and third to the first. */
    private void startCluster() throws Exception {
        cluster.start(NAMES.get(0));
        cluster.start(NAMES.get(1));
        cluster.join(NAMES.get(1), NAMES.get(0));
        cluster.start(NAMES.get(2));
        cluster.join(NAMES.get(2), NAMES.get(0));
    }

    private Node node(int i) {
        return cluster.node(NAMES.get(i - 1));
    }

    private Answer api(Node node, String method, String path, Object body) throws Exception {
        return cluster.api(node, method, path, body);
    }

    /** A real publish on {@code node} to in/... comes back republished to out/{clientid} on the same node. */
    private void assertRuleRunsOn(Node node, String clientId) throws Exception {
        Mqtt5BlockingClient c = cluster.client(node, clientId, null);
        c.subscribeWith().topicFilter("out/#").qos(MqttQos.AT_LEAST_ONCE).send();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = c.publishes(MqttGlobalPublishFilter.SUBSCRIBED)) {
            c.publishWith().topic("in/x").payload("hello".getBytes(StandardCharsets.UTF_8)).send();
            Optional<Mqtt5Publish> got = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(got).as("republished by rule fwd on " + node.nodeName()).isPresent();
            assertThat(got.get().getTopic().toString()).isEqualTo("out/" + clientId);
            assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
    }

    /** {@code trellis ctl ARGS} against the node {@code name}, as an operator on its host runs it; the output. */
    private String ctl(String name, String... args) {
        CtlRun run = cluster.ctl(name, null, args);
        assertThat(run.exit()).as(run.err()).isZero();
        return run.out();
    }

    private JsonNode status(Node node) throws Exception {
        var r = api(node, "GET", "/api/v5/cluster/conf/status", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static JsonNode row(JsonNode status, String node) {
        for (JsonNode n : status.path("nodes")) {
            if (n.path("node").asText().equals(node)) {
                return n;
            }
        }
        throw new AssertionError(node + " not in " + status);
    }

    @Test
    void changesOnAnyNodeReachEveryNodeAndADownNodeCatchesUp() throws Exception {
        startCluster();

        // a rule made on node 2 runs on node 3
        var created = api(node(2), "POST", "/api/v5/rules", RULE);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> api(node(3), "GET", "/api/v5/rules/fwd", null).status() == 200);
        assertRuleRunsOn(node(3), "pub3");

        // the SSRF policy changed on node 1 takes effect on node 3
        Map<String, Object> local = Map.of("type", "http", "name", "hook", "url", "http://127.0.0.1:9/hook");
        var denied = api(node(3), "POST", "/api/v5/connectors", local);
        assertThat(denied.status()).as(denied.body()).isEqualTo(400);
        assertThat(denied.body()).contains("rule_engine.ssrf");
        var policy = api(node(1), "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("allow_cidrs", List.of("127.0.0.1/32"))));
        assertThat(policy.status()).as(policy.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> api(node(3), "GET", "/api/v5/rule_engine", null).body().contains("127.0.0.1/32"));
        var allowed = api(node(3), "POST", "/api/v5/connectors", local);
        assertThat(allowed.status()).as(allowed.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> api(node(1), "GET", "/api/v5/connectors/http:hook", null).status() == 200);

        // every node at the same tnx id, nobody lagging
        long tnx = status(node(1)).path("tnx_id").asLong();
        assertThat(tnx).isEqualTo(4); // rule, denied connector (fails the same on every node), policy, connector
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode s = status(node(2));
            assertThat(s.path("lagging")).isEmpty();
            for (String n : NAMES) {
                assertThat(row(s, n).path("tnx_id").asLong()).as(n).isEqualTo(tnx);
            }
        });

        // node 3 down: a change on node 1 commits on 1 and 2, and node 3 shows as lagging
        String third = NAMES.get(2);
        cluster.stop(third);
        await().atMost(Duration.ofSeconds(20)).until(() -> !cluster.cluster(NAMES.get(0)).upNodes().contains(NodeName.parse(third)));
        var disabled = api(node(1), "PUT", "/api/v5/rules/fwd", Map.of("sql", "SELECT * FROM \"in/#\"", "enable", false,
                "actions", RULE.get("actions")));
        assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
        var rule2 = api(node(2), "POST", "/api/v5/rules", Map.of("id", "fwd2", "sql", "SELECT * FROM \"in/#\"",
                "actions", RULE.get("actions")));
        assertThat(rule2.status()).as(rule2.body()).isEqualTo(201);
        JsonNode whileDown = status(node(1));
        assertThat(whileDown.path("tnx_id").asLong()).isEqualTo(tnx + 2);
        assertThat(row(whileDown, third).path("running").asBoolean()).isFalse();
        assertThat(row(whileDown, third).path("lagging").asBoolean()).isTrue();
        assertThat(row(whileDown, third).path("tnx_id").asLong()).isEqualTo(tnx);
        assertThat(whileDown.path("lagging").toString()).contains(third);
        String table = ctl(NAMES.get(0), "conf", "cluster_sync", "status");
        assertThat(table).contains("NODE").contains("TNX_ID")
                .containsPattern("conf1@127.0.0.1\\s+" + (tnx + 2) + "\\s+true\\s+in sync")
                .containsPattern("conf3@127.0.0.1\\s+" + tnx + "\\s+false\\s+lagging")
                .contains("sequencer: conf1@127.0.0.1");

        // node 3 back (same data dir): it catches up and applies in order
        cluster.start(third);
        cluster.join(third, NAMES.get(0));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(api(node(3), "GET", "/api/v5/rules/fwd2", null).status()).isEqualTo(200);
            assertThat(api(node(3), "GET", "/api/v5/rules/fwd", null).json().path("enable").asBoolean()).isFalse();
            assertThat(status(node(3)).path("tnx_id").asLong()).isEqualTo(tnx + 2);
            assertThat(status(node(1)).path("lagging")).isEmpty();
        });

        // node 1 alone of 3: no majority, the change is refused and nothing is committed
        cluster.stop(NAMES.get(1));
        cluster.stop(third);
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.cluster(NAMES.get(0)).upNodes().isEmpty());
        var refused = api(node(1), "DELETE", "/api/v5/rules/fwd", null);
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.body()).contains("only 1 of 3 known nodes are reachable").contains("majority (2)");
        assertThat(status(node(1)).path("tnx_id").asLong()).isEqualTo(tnx + 2);
        assertThat(api(node(1), "GET", "/api/v5/rules/fwd", null).status()).isEqualTo(200);
    }

    @Test
    void aFullRestartOfEveryNodeKeepsTheRuleAndTheLog() throws Exception {
        startCluster();
        var created = api(node(2), "POST", "/api/v5/rules", RULE);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> NAMES.stream()
                .allMatch(n -> cluster.node(n).confLog().appliedTnx() == 1));
        for (String n : NAMES) {
            cluster.stop(n);
        }

        startCluster();
        for (int i = 1; i <= 3; i++) {
            assertThat(api(node(i), "GET", "/api/v5/rules/fwd", null).status()).as("node " + i).isEqualTo(200);
            assertThat(status(node(i)).path("tnx_id").asLong()).isEqualTo(1);
        }
        assertRuleRunsOn(node(1), "pub1");
        // the next change continues the ids
        var rule2 = api(node(3), "POST", "/api/v5/rules", Map.of("id", "fwd2", "sql", "SELECT * FROM \"x/#\"", "actions", List.of()));
        assertThat(rule2.status()).as(rule2.body()).isEqualTo(201);
        assertThat(status(node(3)).path("tnx_id").asLong()).isEqualTo(2);
    }
}

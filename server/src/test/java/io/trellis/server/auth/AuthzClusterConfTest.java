package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.NodeName;
import io.trellis.config.TrellisConfig;
import io.trellis.server.Node;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes in one JVM (MQTT, API, ClusterNode on random ports) with the built-in database
 * authorization source: rules written through one node's API are enforced on real MQTT 5 clients
 * of the other nodes (PUBACK / SUBACK 0x87), persisted on each, refused whole when the log has no
 * majority, caught up by a node that joins later, and kept by a node without the source.
 * The authorization cache is off, so a connection sees a change at once.
 */
class AuthzClusterConfTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COOKIE = "Wq3Rt8Ny5Kd1-authz-cluster-conf-test";
    private static final String CONF = """
            authorization {
              sources = [ { type = built_in_database, max_rules = 3 } ]
              no_match = allow
              cache { enable = false }
            }
            """;
    private static final String RULES = "/api/v5/authorization/sources/built_in_database/rules";
    private static final String DENY_SECRET = """
            [{"username": "u1", "rules": [{"permission": "deny", "action": "all", "topic": "secret/#"}]}]
            """;

    @TempDir
    Path dir;

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, ClusterNode> clusters = new ConcurrentHashMap<>();
    private final List<Mqtt5BlockingClient> clients = new ArrayList<>();
    private HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        for (Mqtt5BlockingClient c : clients) {
            try {
                c.disconnect();
            } catch (RuntimeException ignored) {
                // its node may be closed already
            }
        }
        nodes.values().forEach(Node::close);
    }

    private Path home(String name) {
        return dir.resolve(name.replace('@', '_'));
    }

    private Path rulesFile(String name) {
        return home(name).resolve("data").resolve("authz").resolve("built_in_database.json");
    }

    private Map<String, String> env(String name) {
        Path home = home(name);
        Map<String, String> env = new HashMap<>();
        env.put("TRELLIS_NODE__NAME", name);
        env.put("TRELLIS_NODE__COOKIE", COOKIE);
        env.put("TRELLIS_NODE__DATA_DIR", home.resolve("data").toString());
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_LISTENERS__TCP__DEFAULT__BIND", "127.0.0.1:0");
        env.put("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WSS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:0");
        // this machine is shared with other builds: a handshake may wait for a CPU a while
        env.put("TRELLIS_RPC__AUTHENTICATION_TIMEOUT", "30s");
        return env;
    }

    private Node start(String name, String conf) throws Exception {
        Path file = Files.createDirectories(home(name)).resolve("trellis.conf");
        Files.writeString(file, conf);
        Node node = Node.from(TrellisConfig.load(file, env(name)), (s, m, v) -> {
            ClusterNode c = new ClusterNode(s, m, v, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0));
            clusters.put(name, c);
            return c;
        });
        nodes.put(name, node);
        node.start();
        http = HttpClient.newHttpClient(); // no keep-alive connection to a stopped node's API
        return node;
    }

    /** Joins {@code name} to {@code to} and waits until every node up sees every other. */
    private void join(String name, String to) throws Exception {
        clusters.get(name).join(NodeName.parse(to), new InetSocketAddress("127.0.0.1", clusters.get(to).distPort()))
                .get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> nodes.keySet().stream()
                .allMatch(n -> clusters.get(n).upNodes().size() == nodes.size() - 1));
    }

    /** Every node running has applied every entry any of them has. */
    private void awaitInSync() {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long last = nodes.values().stream().mapToLong(n -> n.confLog().lastTnx()).max().orElse(0);
            return nodes.values().stream().allMatch(n -> n.confLog().appliedTnx() == last);
        });
    }

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    private Answer api(Node node, String method, String path, String body) throws Exception {
        String basic = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    private Mqtt5BlockingClient v5(Node node, String id, String username) {
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(node.listeners().get(0).address().getPort()).buildBlocking();
        var connect = c.connectWith();
        if (username != null) connect = connect.simpleAuth().username(username).applySimpleAuth();
        connect.send();
        clients.add(c);
        return c;
    }

    private static Mqtt5PubAckReasonCode publish(Mqtt5BlockingClient c, String topic) {
        try {
            c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
            return Mqtt5PubAckReasonCode.SUCCESS;
        } catch (Mqtt5PubAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    private static Mqtt5SubAckReasonCode subscribe(Mqtt5BlockingClient c, String filter) {
        try {
            return c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().getReasonCodes().get(0);
        } catch (Mqtt5SubAckException e) {
            return e.getMqttMessage().getReasonCodes().get(0);
        }
    }

    private static final String N1 = "authz1@127.0.0.1";
    private static final String N2 = "authz2@127.0.0.1";
    private static final String N3 = "authz3@127.0.0.1";

    @Test
    void rulesMadeOnOneNodeAreEnforcedOnTheOther() throws Exception {
        Node one = start(N1, CONF);
        Node two = start(N2, CONF);
        join(N2, N1);
        // connected before the change: without the cache it is asked against the new rules
        Mqtt5BlockingClient early = v5(two, "early", "u1");
        assertThat(publish(early, "secret/a")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);

        // a deny rule added on node 1 is enforced on node 2 and stored in its file
        Answer added = api(one, "POST", RULES + "/users", DENY_SECRET);
        assertThat(added.status()).as(added.body()).isEqualTo(204);
        awaitInSync();
        assertThat(publish(early, "secret/b")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        Mqtt5BlockingClient u1 = v5(two, "u1-on-2", "u1");
        assertThat(publish(u1, "secret/c")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(subscribe(u1, "secret/#")).isEqualTo(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
        assertThat(publish(u1, "public/c")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(api(two, "GET", RULES + "/users/u1", null).json().path("rules").get(0).path("topic").asText())
                .isEqualTo("secret/#");
        assertThat(Files.readString(rulesFile(N2))).contains("u1", "secret/#");

        // refused on the receiving node: nothing enters the log
        long before = one.confLog().lastTnx();
        Answer duplicate = api(two, "POST", RULES + "/users", DENY_SECRET);
        assertThat(duplicate.status()).as(duplicate.body()).isEqualTo(409);
        assertThat(duplicate.body()).contains("u1");
        Answer badAction = api(one, "POST", RULES + "/clients",
                "[{\"clientid\": \"c9\", \"rules\": [{\"permission\": \"deny\", \"action\": \"pub\", \"topic\": \"t\"}]}]");
        assertThat(badAction.status()).isEqualTo(400);
        assertThat(badAction.body()).contains("[0].rules[0].action");
        String rule = "{\"permission\": \"deny\", \"action\": \"all\", \"topic\": \"t\"}";
        Answer tooMany = api(two, "PUT", RULES + "/users/u1",
                "{\"username\": \"u1\", \"rules\": [" + String.join(",", rule, rule, rule, rule) + "]}");
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.body()).contains("max_rules = 3");
        assertThat(one.confLog().lastTnx()).isEqualTo(before);
        assertThat(two.confLog().lastTnx()).isEqualTo(before);

        // the rules for all, set on node 2, hold on node 1; a client id's list too
        assertThat(api(two, "POST", RULES + "/all",
                "{\"rules\": [{\"permission\": \"deny\", \"action\": \"subscribe\", \"topic\": \"eq #\"}]}").status())
                .isEqualTo(204);
        assertThat(api(two, "POST", RULES + "/clients",
                "[{\"clientid\": \"c-pub\", \"rules\": [{\"permission\": \"deny\", \"action\": \"publish\", \"topic\": \"x/#\"}]}]")
                .status()).isEqualTo(204);
        awaitInSync();
        assertThat(subscribe(v5(one, "anyone", null), "#")).isEqualTo(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
        assertThat(publish(v5(one, "c-pub", null), "x/1")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);

        // deletes on node 2 hold on node 1
        assertThat(api(two, "DELETE", RULES + "/users/u1", null).status()).isEqualTo(204);
        assertThat(api(two, "DELETE", RULES + "/all", null).status()).isEqualTo(204);
        awaitInSync();
        Mqtt5BlockingClient u1on1 = v5(one, "u1-on-1", "u1");
        assertThat(publish(u1on1, "secret/d")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(subscribe(u1on1, "#")).isEqualTo(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
        assertThat(api(one, "GET", RULES + "/users/u1", null).status()).isEqualTo(404);
        assertThat(api(one, "DELETE", RULES + "/users/u1", null).status()).isEqualTo(404);
        assertThat(Files.readString(rulesFile(N1))).doesNotContain("secret/#").contains("c-pub");

        // node 1 down: node 2 alone is no majority of 2, the change is refused and not made
        nodes.remove(N1).close();
        await().atMost(Duration.ofSeconds(20)).until(() -> clusters.get(N2).upNodes().isEmpty());
        long last = two.confLog().lastTnx();
        Answer refused = api(two, "POST", RULES + "/users", DENY_SECRET);
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.json().path("code").asText()).isEqualTo("CLUSTER_CONF_UNAVAILABLE");
        assertThat(api(two, "DELETE", RULES + "/clients/c-pub", null).status()).isEqualTo(503);
        assertThat(two.confLog().lastTnx()).isEqualTo(last);
        assertThat(api(two, "GET", RULES + "/users/u1", null).status()).isEqualTo(404);
        assertThat(publish(v5(two, "c-pub", null), "x/2")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(Files.readString(rulesFile(N2))).doesNotContain("secret/#").contains("c-pub");
    }

    @Test
    void aNodeThatJoinsLaterCatchesUpAndOneWithoutTheSourceKeepsTheRules() throws Exception {
        Node one = start(N1, CONF);
        Node two = start(N2, ""); // no built_in_database source
        join(N2, N1);
        assertThat(api(one, "POST", RULES + "/users", DENY_SECRET).status()).isEqualTo(204);
        assertThat(api(one, "PUT", RULES + "/clients/c-pub",
                "{\"rules\": [{\"permission\": \"deny\", \"action\": \"publish\", \"topic\": \"x/#\"}]}").status())
                .isEqualTo(204);
        awaitInSync();
        // node 2 has no source to ask nor an API for it, but keeps the rules in its file
        assertThat(api(two, "GET", RULES + "/users/u1", null).status()).isEqualTo(404);
        assertThat(publish(v5(two, "u1-on-2", "u1"), "secret/a")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(Files.readString(rulesFile(N2))).contains("u1", "secret/#", "c-pub");

        Node three = start(N3, CONF);
        assertThat(publish(v5(three, "u1-alone", "u1"), "secret/b")).as("not in the cluster yet")
                .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        join(N3, N2);
        awaitInSync();
        assertThat(three.confLog().appliedTnx()).isEqualTo(2);
        assertThat(publish(v5(three, "u1-on-3", "u1"), "secret/c")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(publish(v5(three, "c-pub", null), "x/1")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(Files.readString(rulesFile(N3))).contains("u1", "secret/#", "c-pub");

        // node 2 restarted with the source: it finds the rules it kept
        nodes.remove(N2).close();
        two = start(N2, CONF);
        assertThat(api(two, "GET", RULES + "/users/u1", null).json().path("rules").get(0).path("topic").asText())
                .isEqualTo("secret/#");
        assertThat(publish(v5(two, "u1-again", "u1"), "secret/d")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
    }
}

package io.trellis.server.auth;

import static io.trellis.server.testsupport.MqttProbes.publish;
import static io.trellis.server.testsupport.MqttProbes.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.trellis.config.ConfigException;
import io.trellis.server.Node;
import io.trellis.server.testsupport.MqttProbes;
import io.trellis.server.testsupport.TestNodeEnv;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with the built-in database authorization source: rules written through EMQX's API, then
 * enforced on real MQTT 5 and 3.1.1 clients (PUBACK 0x87, SUBACK 0x87 / 0x80, 3.1.1 drop), bad
 * rules and max_rules answered 400 naming the field, rules surviving a restart, config errors.
 */
class AuthzBuiltInDatabaseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULES = "/api/v5/authorization/sources/built_in_database/rules";
    private static final String CONF = """
            authorization {
              sources = [ { type = built_in_database, max_rules = 3 } ]
              no_match = allow
            }
            """;

    @TempDir
    Path dir;

    private Node node;
    private Map<String, String> env;
    private Path conf;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private void start() throws Exception {
        start(CONF);
    }

    private void start(String text) throws Exception {
        conf = Files.writeString(dir.resolve("trellis.conf"), text);
        env = TestNodeEnv.loopback("rules@127.0.0.1", dir.resolve("data"), TestNodeEnv.freePort(), TestNodeEnv.freePort());
        node = Node.load(conf, env);
        node.start();
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        String basic = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
                .build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    private int port() {
        return MqttProbes.mqttPort(node);
    }

    private Mqtt5BlockingClient v5(String id, String username) {
        return MqttProbes.connected(node, id, username);
    }

    private void writeRules() throws Exception {
        assertThat(api("POST", RULES + "/users", """
                [{"username": "u1", "rules": [
                   {"permission": "allow", "action": "publish", "topic": "secret/${username}/#"},
                   {"permission": "deny", "action": "publish", "topic": "secret/#"}]}]
                """).statusCode()).isEqualTo(204);
        assertThat(api("POST", RULES + "/clients", """
                [{"clientid": "c-sub", "rules": [{"permission": "deny", "action": "subscribe", "topic": "private/#",
                                                  "qos": [0, 1, 2], "retain": "all"}]}]
                """).statusCode()).isEqualTo(204);
        assertThat(api("POST", RULES + "/all", """
                {"rules": [{"permission": "deny", "action": "all", "topic": "eq #"}]}
                """).statusCode()).isEqualTo(204);
    }

    @Test
    void rulesWrittenThroughTheApiAreEnforcedAndSurviveARestart() throws Exception {
        start();
        writeRules();

        List<String> seen = new CopyOnWriteArrayList<>();
        Mqtt5BlockingClient watcher = v5("watcher", null);
        watcher.toAsync().subscribeWith().topicFilter("secret/#").qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> seen.add(p.getTopic().toString())).send().join();

        Mqtt5BlockingClient u1 = v5("u1-client", "u1");
        assertThat(publish(u1, "secret/u1/x")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(publish(u1, "secret/other")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        Mqtt5BlockingClient sub = v5("c-sub", null);
        assertThat(subscribe(sub, "private/a")).isEqualTo(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
        assertThat(subscribe(sub, "public/a")).isEqualTo(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
        assertThat(subscribe(v5("anyone", null), "#")).isEqualTo(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);

        // MQTT 3.1.1: SUBACK 0x80; a denied QoS 1 publish is acknowledged (no code in 3.1.1) and dropped.
        Mqtt3BlockingClient v3 = MqttClient.builder().useMqttVersion3().identifier("u1-v3").serverHost("127.0.0.1")
                .serverPort(port()).buildBlocking();
        v3.connectWith().simpleAuth().username("u1").applySimpleAuth().send();
        var refused = catchThrowableOfType(Mqtt3SubAckException.class, () -> v3.subscribeWith().topicFilter("#").send());
        assertThat(refused.getMqttMessage().getReturnCodes()).containsExactly(Mqtt3SubAckReturnCode.FAILURE);
        v3.publishWith().topic("secret/v3-denied").qos(MqttQos.AT_LEAST_ONCE).send();
        v3.publishWith().topic("secret/u1/v3").qos(MqttQos.AT_LEAST_ONCE).send();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("secret/u1/v3"));
        assertThat(seen).containsExactly("secret/u1/x", "secret/u1/v3");

        // The API shows the rules in EMQX's shape, defaults filled in.
        JsonNode one = JSON.readTree(api("GET", RULES + "/users/u1", null).body());
        assertThat(one.get("username").asText()).isEqualTo("u1");
        assertThat(one.get("rules").get(1).toString())
                .isEqualTo("{\"topic\":\"secret/#\",\"permission\":\"deny\",\"action\":\"publish\",\"qos\":[0,1,2],\"retain\":\"all\"}");
        JsonNode clients = JSON.readTree(api("GET", RULES + "/clients?like_clientid=sub", null).body());
        assertThat(clients.get("data").findValuesAsText("clientid")).containsExactly("c-sub");
        assertThat(clients.get("meta").get("count").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(api("GET", RULES + "/all", null).body()).get("rules").get(0).get("topic").asText())
                .isEqualTo("eq #");

        // Restart: the rules are read back from node.data_dir.
        node.close();
        assertThat(dir.resolve("data").resolve("authz").resolve("built_in_database.json")).exists();
        node = Node.load(conf, env);
        node.start();
        assertThat(subscribe(v5("c-sub", null), "private/b")).isEqualTo(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
        assertThat(publish(v5("u1-again", "u1"), "secret/nope")).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);

        // PUT replaces a list, DELETE removes it; new connections see the change.
        assertThat(api("PUT", RULES + "/users/u1", "{\"username\": \"u1\", \"rules\": []}").statusCode()).isEqualTo(204);
        assertThat(publish(v5("u1-after-put", "u1"), "secret/nope")).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(api("DELETE", RULES + "/clients/c-sub", null).statusCode()).isEqualTo(204);
        assertThat(api("GET", RULES + "/clients/c-sub", null).statusCode()).isEqualTo(404);
        assertThat(api("DELETE", RULES + "/clients/c-sub", null).statusCode()).isEqualTo(404);
        assertThat(subscribe(v5("c-sub", null), "private/c")).isEqualTo(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
        assertThat(api("DELETE", RULES + "/all", null).statusCode()).isEqualTo(204);
        assertThat(JSON.readTree(api("GET", RULES + "/all", null).body()).get("rules")).isEmpty();
        // Purging is for a disabled source only, as in EMQX.
        assertThat(api("DELETE", RULES, null).statusCode()).isEqualTo(400);
    }

    @Test
    void badRulesAndTooManyRulesAreRefusedWithTheFieldNamed() throws Exception {
        start();
        writeRules();
        HttpResponse<String> dup = api("POST", RULES + "/users", "[{\"username\": \"u1\", \"rules\": []}]");
        assertThat(dup.statusCode()).isEqualTo(409);
        assertThat(dup.body()).contains("u1");

        HttpResponse<String> badAction = api("POST", RULES + "/users",
                "[{\"username\": \"u2\", \"rules\": [{\"permission\": \"allow\", \"action\": \"pub\", \"topic\": \"t\"}]}]");
        assertThat(badAction.statusCode()).isEqualTo(400);
        assertThat(badAction.body()).contains("[0].rules[0].action").contains("publish, subscribe or all");

        HttpResponse<String> badTopic = api("PUT", RULES + "/clients/c9",
                "{\"clientid\": \"c9\", \"rules\": [{\"permission\": \"deny\", \"action\": \"all\", \"topic\": \"a/#/b\"}]}");
        assertThat(badTopic.statusCode()).isEqualTo(400);
        assertThat(badTopic.body()).contains("rules[0].topic");

        HttpResponse<String> badPlaceholder = api("POST", RULES + "/all",
                "{\"rules\": [{\"permission\": \"deny\", \"action\": \"all\", \"topic\": \"t/${password}\"}]}");
        assertThat(badPlaceholder.statusCode()).isEqualTo(400);
        assertThat(badPlaceholder.body()).contains("${password}").contains("${username} or ${clientid}");

        HttpResponse<String> otherName = api("PUT", RULES + "/users/u1", "{\"username\": \"u2\", \"rules\": []}");
        assertThat(otherName.statusCode()).isEqualTo(400);

        String four = "{\"permission\": \"deny\", \"action\": \"all\", \"topic\": \"t\"}";
        HttpResponse<String> tooMany = api("PUT", RULES + "/users/u1",
                "{\"username\": \"u1\", \"rules\": [" + String.join(",", four, four, four, four) + "]}");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.body()).contains("max_rules = 3");
        // Nothing of the refused changes was stored.
        assertThat(api("GET", RULES + "/users/u2", null).statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(api("GET", RULES + "/users/u1", null).body()).get("rules")).hasSize(2);
    }

    @Test
    void aDisabledSourceIsNotAskedButItsRulesCanBeManagedAndPurged() throws Exception {
        start(CONF.replace("type = built_in_database,", "type = built_in_database, enable = false,"));
        writeRules();
        assertThat(subscribe(v5("anyone", null), "#")).isEqualTo(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
        assertThat(api("DELETE", RULES, null).statusCode()).isEqualTo(204);
        assertThat(JSON.readTree(api("GET", RULES + "/users", null).body()).get("data")).isEmpty();
        assertThat(JSON.readTree(api("GET", RULES + "/all", null).body()).get("rules")).isEmpty();
        assertThat(Files.readString(dir.resolve("data").resolve("authz").resolve("built_in_database.json")))
                .doesNotContain("secret", "private");
    }

    @Test
    void withoutTheSourceTheApiAnswers404AndASecondSourceOfATypeIsAConfigError() throws Exception {
        Path two = Files.writeString(dir.resolve("two.conf"), """
                authorization.sources = [ { type = built_in_database }, { type = built_in_database } ]
                """);
        start("");
        assertThat(api("GET", RULES + "/users", null).statusCode()).isEqualTo(404);
        node.close();
        node = null;

        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> Node.load(two, Map.of("TRELLIS_NODE__DATA_DIR", dir.resolve("d").toString())));
        assertThat(e).isNotNull();
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("authorization.sources[1].type")
                .contains("second built_in_database"));

        Files.createDirectories(dir.resolve("data").resolve("authz"));
        Files.writeString(dir.resolve("data").resolve("authz").resolve("built_in_database.json"), "{not json");
        ConfigException corrupt = catchThrowableOfType(ConfigException.class,
                () -> Node.load(Files.writeString(dir.resolve("c.conf"), CONF),
                        Map.of("TRELLIS_NODE__DATA_DIR", dir.resolve("data").toString())));
        assertThat(corrupt.problems()).anySatisfy(p -> assertThat(p).contains("authorization.sources[0]")
                .contains("built_in_database.json"));
    }
}

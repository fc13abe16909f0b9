package io.trellis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.SubscriptionInfo;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API over real HTTP on a random port, against a fake broker: auth, routing, EMQX JSON shapes. */
class ApiServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FakeBroker broker = new FakeBroker();
    private final HttpClient http = HttpClient.newHttpClient();
    private ApiServer server;
    private String base;
    private String auth;

    @BeforeEach
    void start() {
        NodeView node = new NodeView() {
            public String nodeName() {
                return "trellis@127.0.0.1";
            }

            public String version() {
                return "test";
            }

            public long startedAtMillis() {
                return System.currentTimeMillis();
            }

            public BrokerAdmin broker() {
                return broker;
            }

            public List<BoundListener> listeners() {
                return List.of(new BoundListener(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                        new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE),
                        new InetSocketAddress("127.0.0.1", 1883)));
            }
        };
        server = new ApiServer(new ManagementApi(node, new ObjectMapper()), new ApiKeys().add("ops", "s3cret"));
        InetSocketAddress bound = server.start(new InetSocketAddress("127.0.0.1", 0));
        base = "http://127.0.0.1:" + bound.getPort();
        auth = basic("ops", "s3cret");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String basic(String key, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((key + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> call(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return call("GET", path, null, auth);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void everyEndpointNeedsAnApiKey() throws Exception {
        for (String authorization : new String[] {null, basic("ops", "wrong"), basic("nobody", "s3cret"),
                "Basic !!!notbase64", "Bearer x"}) {
            HttpResponse<String> r = call("GET", "/api/v5/clients", null, authorization);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(json(r).get("code").asText()).isEqualTo("BAD_API_KEY_OR_SECRET");
        }
        assertThat(call("GET", "/no/such/path", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v5/prometheus/stats", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void clientsAreListedWithEmqxFieldsAndPages() throws Exception {
        for (int i = 0; i < 5; i++) {
            broker.clients.add(FakeBroker.client("c" + i, i % 2 == 0 ? "even" : null));
        }
        JsonNode body = json(get("/api/v5/clients?_page=2&limit=2"));
        assertThat(body.get("data")).hasSize(2);
        assertThat(body.get("data").get(0).get("clientid").asText()).isEqualTo("c2");
        JsonNode meta = body.get("meta");
        assertThat(meta.get("page").asInt()).isEqualTo(2);
        assertThat(meta.get("limit").asInt()).isEqualTo(2);
        assertThat(meta.get("count").asInt()).isEqualTo(5);
        assertThat(meta.get("hasnext").asBoolean()).isTrue();
        assertThat(json(get("/api/v5/clients?_page=3&limit=2")).get("meta").get("hasnext").asBoolean()).isFalse();

        JsonNode c = body.get("data").get(0);
        assertThat(c.fieldNames()).toIterable().contains("clientid", "username", "ip_address", "port", "node",
                "connected", "proto_name", "proto_ver", "keepalive", "clean_start", "expiry_interval",
                "connected_at", "subscriptions_cnt", "inflight_cnt", "mqueue_len", "mqueue_dropped", "recv_msg",
                "send_msg");
        assertThat(c.get("connected_at").asText()).isEqualTo("2023-11-14T22:13:20.123+00:00");
        assertThat(c.get("node").asText()).isEqualTo("trellis@127.0.0.1");

        assertThat(json(get("/api/v5/clients?username=even")).get("meta").get("count").asInt()).isEqualTo(3);
        assertThat(json(get("/api/v5/clients?like_clientid=c&conn_state=connected&proto_ver=5"))
                .get("meta").get("count").asInt()).isEqualTo(5);
        assertThat(json(get("/api/v5/clients?conn_state=disconnected")).get("meta").get("count").asInt()).isZero();
        assertThat(get("/api/v5/clients?conn_state=sleepy").statusCode()).isEqualTo(400);
        assertThat(json(get("/api/v5/clients?clientid=c4")).get("data").get(0).get("clientid").asText()).isEqualTo("c4");
        assertThat(get("/api/v5/clients?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("/api/v5/clients?_page=x").statusCode()).isEqualTo(400);
    }

    @Test
    void clientIdsInPathsAreUrlDecoded() throws Exception {
        broker.clients.add(FakeBroker.client("dev/1 a", "u"));
        broker.subscriptions.add(new SubscriptionInfo("dev/1 a", "t/#", 1, false, false, 0));
        HttpResponse<String> r = get("/api/v5/clients/dev%2F1%20a");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("clientid").asText()).isEqualTo("dev/1 a");
        JsonNode subs = json(get("/api/v5/clients/dev%2F1%20a/subscriptions"));
        assertThat(subs.get(0).get("topic").asText()).isEqualTo("t/#");
        assertThat(subs.get(0).get("qos").asInt()).isEqualTo(1);

        assertThat(call("DELETE", "/api/v5/clients/dev%2F1%20a", null, auth).statusCode()).isEqualTo(204);
        HttpResponse<String> again = call("DELETE", "/api/v5/clients/dev%2F1%20a", null, auth);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(json(again).get("code").asText()).isEqualTo("CLIENTID_NOT_FOUND");
        assertThat(get("/api/v5/clients/nobody").statusCode()).isEqualTo(404);
    }

    @Test
    void subscriptionsTopicsMetricsStatsListeners() throws Exception {
        broker.clients.add(FakeBroker.client("a", null));
        broker.subscriptions.add(new SubscriptionInfo("a", "x/+", 2, true, true, 1));
        JsonNode sub = json(get("/api/v5/subscriptions")).get("data").get(0);
        assertThat(sub.get("clientid").asText()).isEqualTo("a");
        assertThat(sub.get("nl").asInt()).isEqualTo(1);
        assertThat(sub.get("rap").asInt()).isEqualTo(1);
        assertThat(sub.get("rh").asInt()).isEqualTo(1);
        assertThat(json(get("/api/v5/topics")).get("data").get(0).get("topic").asText()).isEqualTo("x/+");
        broker.subscriptions.add(new SubscriptionInfo("a", "$share/g/y/#", 0, false, false, 0));
        assertThat(json(get("/api/v5/subscriptions?match_topic=y/1")).get("data").findValuesAsText("topic"))
                .containsExactly("$share/g/y/#");
        assertThat(json(get("/api/v5/subscriptions?qos=2")).get("data").findValuesAsText("topic"))
                .containsExactly("x/+");
        assertThat(get("/api/v5/subscriptions?qos=3").statusCode()).isEqualTo(400);

        JsonNode metrics = json(get("/api/v5/metrics"));
        assertThat(metrics.get(0).get("node").asText()).isEqualTo("trellis@127.0.0.1");
        assertThat(metrics.get(0).get("messages.received").asLong()).isEqualTo(7);
        assertThat(json(get("/api/v5/stats?aggregate=true")).get("connections.count").asLong()).isEqualTo(1);

        JsonNode listener = json(get("/api/v5/listeners")).get(0);
        assertThat(listener.get("id").asText()).isEqualTo("tcp:default");
        assertThat(listener.get("bind").asText()).isEqualTo("127.0.0.1:1883");
        assertThat(listener.get("current_connections").asInt()).isEqualTo(1);

        assertThat(json(get("/api/v5/nodes")).get(0).get("node").asText()).isEqualTo("trellis@127.0.0.1");
        assertThat(get("/api/v5/nodes/trellis@127.0.0.1").statusCode()).isEqualTo(200);
        assertThat(get("/api/v5/nodes/other@host").statusCode()).isEqualTo(404);
        assertThat(get("/api/v5/status").body()).contains("is started");
        assertThat(json(get("/api/v5/status?format=json")).get("app_status").asText()).isEqualTo("running");
    }

    @Test
    void prometheusServesBrokerMetricsAndJvmMemory() throws Exception {
        HttpResponse<String> r = get("/api/v5/prometheus/stats");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(r.body()).contains("trellis_messages_received_total 7.0", "trellis_connections_count",
                "jvm_memory_used_bytes");
    }

    @Test
    void publishChecksItsBody() throws Exception {
        HttpResponse<String> ok = call("POST", "/api/v5/publish",
                "{\"topic\":\"a/b\",\"payload\":\"hi\",\"qos\":1,\"retain\":true}", auth);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("id").asText()).hasSize(32);
        assertThat(broker.published.get(0)).containsExactly("a/b", "hi", "1", "true");

        broker.receivers = 0;
        HttpResponse<String> nobody = call("POST", "/api/v5/publish", "{\"topic\":\"a/b\",\"payload\":\"x\"}", auth);
        assertThat(nobody.statusCode()).isEqualTo(202);
        assertThat(json(nobody).get("reason_code").asInt()).isEqualTo(16);

        HttpResponse<String> badJson = call("POST", "/api/v5/publish", "{\"topic\":", auth);
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(json(badJson).get("code").asText()).isEqualTo("BAD_REQUEST");
        assertThat(json(badJson).get("message").asText()).contains("not valid JSON");
        assertThat(call("POST", "/api/v5/publish", "{\"topic\":\"a/#\"}", auth).statusCode()).isEqualTo(400);
        assertThat(call("POST", "/api/v5/publish", "{\"topic\":\"a\",\"qos\":3}", auth).statusCode()).isEqualTo(400);
        assertThat(call("POST", "/api/v5/publish", "[]", auth).statusCode()).isEqualTo(400);
        String huge = "{\"topic\":\"a\",\"payload\":\"" + "x".repeat(ApiServer.MAX_BODY_BYTES) + "\"}";
        assertThat(call("POST", "/api/v5/publish", huge, auth).statusCode()).isEqualTo(413);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        HttpResponse<String> missing = get("/api/v5/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("code").asText()).isEqualTo("NOT_FOUND");
        HttpResponse<String> wrong = call("PUT", "/api/v5/clients", "{}", auth);
        assertThat(wrong.statusCode()).isEqualTo(405);
        assertThat(json(wrong).get("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
    }
}

package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.sun.net.httpserver.HttpServer;
import io.trellis.config.ConfigException;
import io.trellis.server.Node;
import io.trellis.server.testsupport.TestNodeEnv;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code authorization.sources = [http, file]} against a real HTTP service on
 * 127.0.0.1: allow, deny and ignore answers; a slow answer holding later QoS 1 publishes in order;
 * a timeout counted as ignore; cached answers; the SSRF policy at config time and at connect.
 */
class AuthzHttpSourceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String CONF = """
            authorization {
              sources = [
                { type = http, method = get, request_timeout = %s, pool_size = %d,
                  url = "http://127.0.0.1:%d/authz?topic=${topic}&action=${action}" },
                { type = file, path = "%s" }
              ]
              no_match = deny
            }
            """;

    @TempDir
    Path dir;

    private HttpServer service;
    private final ExecutorService serviceThreads = Executors.newCachedThreadPool();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final CountDownLatch closing = new CountDownLatch(1);
    private Node node;
    private Map<String, String> env;

    /**
     * The authorization service: the first level of the topic says what to answer (allow, deny,
     * ignore; slow waits for the test, hang never answers); anything else is allowed.
     */
    @BeforeEach
    void startService() throws IOException {
        service = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        service.setExecutor(serviceThreads);
        service.createContext("/authz", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            String topic = "";
            for (String kv : query.split("&")) {
                if (kv.startsWith("topic=")) topic = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
            }
            asked.add(topic);
            String result = switch (topic.split("/")[0]) {
                case "deny" -> "deny";
                case "ignore" -> "ignore";
                default -> "allow";
            };
            try {
                if (topic.startsWith("slow/")) releaseSlow.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (topic.startsWith("hang/")) closing.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = ("{\"result\": \"" + result + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            } catch (IOException clientGone) {
                // the broker gave up (request_timeout)
            }
        });
        service.start();
    }

    @AfterEach
    void stop() {
        if (node != null) node.close();
        closing.countDown();
        releaseSlow.countDown();
        service.stop(0);
        serviceThreads.shutdownNow();
    }

    private void start(String requestTimeout) throws Exception {
        start(requestTimeout, 8);
    }

    private void start(String requestTimeout, int poolSize) throws Exception {
        Path acl = Files.writeString(dir.resolve("acl.conf"), "{allow, all, publish, [\"ignore/next\", \"hang/next\"]}.\n");
        Path conf = Files.writeString(dir.resolve("trellis.conf"),
                CONF.formatted(requestTimeout, poolSize, service.getAddress().getPort(), acl.toString().replace("\\", "/")));
        env = TestNodeEnv.loopback("authz@127.0.0.1", dir.resolve("data"), TestNodeEnv.freePort(), TestNodeEnv.freePort());
        node = Node.load(conf, env);
        node.start();
    }

    private Mqtt5BlockingClient client(String id) {
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(node.listeners().get(0).address().getPort()).buildBlocking();
        c.connect();
        return c;
    }

    private static CompletableFuture<Mqtt5PublishResult> publish(Mqtt5AsyncClient c, String topic) {
        return c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(topic.getBytes(StandardCharsets.UTF_8))
                .send();
    }

    /** The PUBACK's reason: SUCCESS and NO_MATCHING_SUBSCRIBERS both count as accepted. */
    private static Mqtt5PubAckReasonCode puback(CompletableFuture<Mqtt5PublishResult> f) throws Exception {
        try {
            var code = ((Mqtt5PublishResult.Mqtt5Qos1Result) f.get(10, TimeUnit.SECONDS)).getPubAck().getReasonCode();
            return code == Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS ? Mqtt5PubAckReasonCode.SUCCESS : code;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Mqtt5PubAckException pe) return pe.getMqttMessage().getReasonCode();
            throw e;
        }
    }

    private List<String> watch(String filter) {
        List<String> got = new CopyOnWriteArrayList<>();
        client("watcher-" + filter.hashCode()).toAsync().subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> got.add(p.getTopic().toString())).send().join();
        return got;
    }

    @Test
    void allowDenyAndIgnoreAnswersWithTheNextSourceAndNoMatchAfterAnIgnore() throws Exception {
        start("10s");
        Mqtt5AsyncClient c = client("c1").toAsync();
        assertThat(puback(publish(c, "allow/1"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(puback(publish(c, "deny/1"))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(puback(publish(c, "ignore/1"))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED); // no_match = deny
        assertThat(puback(publish(c, "ignore/next"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS); // the file source's allow
        var denied = catchThrowableOfType(Mqtt5SubAckException.class,
                () -> c.toBlocking().subscribeWith().topicFilter("deny/#").send());
        assertThat(denied.getMqttMessage().getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);

        // Answers are cached per connection like the file source's: the service is asked once per topic.
        assertThat(puback(publish(c, "allow/1"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(puback(publish(c, "deny/1"))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(asked.stream().filter(t -> t.equals("allow/1") || t.equals("deny/1"))).hasSize(2);
    }

    @Test
    void pipelinedQos1PublishesWaitInOrderBehindASlowAnswer() throws Exception {
        start("10s");
        List<String> got = watch("#");
        Mqtt5AsyncClient c = client("pipeliner").toAsync();
        var acks = List.of(publish(c, "slow/1"), publish(c, "allow/2"), publish(c, "deny/3"), publish(c, "allow/4"));
        await().atMost(WAIT).until(() -> asked.contains("slow/1"));
        await().during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> got.isEmpty() && acks.stream().noneMatch(CompletableFuture::isDone));
        releaseSlow.countDown();
        assertThat(puback(acks.get(0))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(puback(acks.get(1))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(puback(acks.get(2))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(puback(acks.get(3))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        await().atMost(WAIT).until(() -> got.size() == 3);
        assertThat(got).containsExactly("slow/1", "allow/2", "allow/4");
    }

    @Test
    void poolSizeBoundsTheRequestsInFlightToTheService() throws Exception {
        start("10s", 1);
        List<String> got = watch("#");
        Mqtt5AsyncClient a = client("pool-a").toAsync();
        Mqtt5AsyncClient b = client("pool-b").toAsync();
        var acks = List.of(publish(a, "slow/a"), publish(b, "slow/b"));
        await().atMost(WAIT).until(() -> asked.stream().anyMatch(t -> t.startsWith("slow/")));
        // One connection (pool_size = 1): the second client's question waits for the first answer.
        await().during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> asked.stream().filter(t -> t.startsWith("slow/")).count() == 1);
        releaseSlow.countDown();
        assertThat(puback(acks.get(0))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(puback(acks.get(1))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        await().atMost(WAIT).until(() -> got.size() == 2);
    }

    @Test
    void aServiceThatDoesNotAnswerWithinRequestTimeoutCountsAsIgnore() throws Exception {
        start("300ms");
        Mqtt5AsyncClient c = client("patient").toAsync();
        assertThat(puback(publish(c, "hang/next"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS); // ignored, file allows
        assertThat(puback(publish(c, "hang/x"))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED); // ignored, no_match
        assertThat(puback(publish(c, "allow/after"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS); // the connection goes on
    }

    @Test
    void anSsrfDeniedUrlIsRefusedAtConfig() throws Exception {
        Path conf = Files.writeString(dir.resolve("ssrf.conf"), """
                rule_engine.ssrf { enable = true }
                authorization.sources = [ { type = http, url = "http://127.0.0.1:%d/authz" } ]
                """.formatted(service.getAddress().getPort()));
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> Node.load(conf, Map.of("TRELLIS_NODE__DATA_DIR", dir.resolve("d").toString())));
        assertThat(e).isNotNull();
        assertThat(e.problems()).anySatisfy(p -> assertThat(p)
                .contains("authorization.sources[0].url").contains("rule_engine.ssrf"));
    }

    @Test
    void anSsrfPolicyTurnedOnAtRuntimeStopsTheNextRequestAtConnect() throws Exception {
        start("10s");
        Mqtt5AsyncClient c = client("ssrf").toAsync();
        assertThat(puback(publish(c, "allow/before"))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(api("PUT", "/api/v5/rule_engine", "{\"ssrf\": {\"enable\": true}}").statusCode()).isEqualTo(200);
        // 127.0.0.1 is in the default deny_cidrs: the request is refused at connect, the source ignores, no_match denies.
        assertThat(puback(publish(c, "allow/after"))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(asked).contains("allow/before").doesNotContain("allow/after");
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        String basic = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
                .build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }
}

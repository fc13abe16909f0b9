package io.trellis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.trellis.server.Node;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BENCHMARKS.md figures for node-level auth, all variants in one run on the same machine: the
 * CONNECT rate of real MQTT clients with no authentication, with built-in database users hashed
 * sha256 (EMQX's default) and bcrypt (EMQX's default cost 10); and the QoS 1 PUBLISH rate with no
 * authorization against the shipped etc/acl.conf as a file source (cache off, so every publish is
 * checked). Prints {@code BENCHMARK auth ...} lines; asserts only that every connect and publish
 * succeeded, never a timing.
 */
class AuthBenchmarkTest {
    private static final int CONNECTS = 200;
    /** bcrypt at cost 10 is tens of milliseconds per check by design: fewer clients keep the test in seconds. */
    private static final int BCRYPT_CONNECTS = 16;
    private static final int WARMUP_CONNECTS = 30;
    private static final int CONCURRENT_CONNECTS = 8;
    private static final int PUBLISHES = 20_000;
    private static final String USER = "bench";
    private static final String PASSWORD = "b3nch-pw";

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Node start(String variant, String conf) throws Exception {
        Path vdir = Files.createDirectories(dir.resolve(variant));
        Path file = Files.writeString(vdir.resolve("trellis.conf"), conf);
        Map<String, String> env = new HashMap<>();
        env.put("TRELLIS_NODE__NAME", "bench-" + variant + "@127.0.0.1");
        env.put("TRELLIS_NODE__DATA_DIR", vdir.resolve("data").toString());
        env.put("TRELLIS_LISTENERS__TCP__DEFAULT__BIND", "127.0.0.1:" + freePort());
        env.put("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_LISTENERS__WSS__DEFAULT__ENABLE", "false");
        env.put("TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + freePort());
        Node node = Node.load(file, env);
        node.start();
        return node;
    }

    private static String authnConf(String algorithm) {
        return "authentication = [ { mechanism = password_based, backend = built_in_database,\n"
                + "  password_hash_algorithm { " + algorithm + " } } ]\n";
    }

    private static void addUser(Node node) throws Exception {
        String basic = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort()
                        + "/api/v5/authentication/password_based:built_in_database/users"))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"user_id\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
                .build();
        assertThat(HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(201);
    }

    private static int port(Node node) {
        return node.listeners().get(0).address().getPort();
    }

    /** Connects {@code count} clients, at most {@link #CONCURRENT_CONNECTS} in flight; returns them connected. */
    private static List<Mqtt5AsyncClient> connectAll(Node node, String prefix, int count, boolean withPassword)
            throws Exception {
        Semaphore inFlight = new Semaphore(CONCURRENT_CONNECTS);
        List<Mqtt5AsyncClient> clients = new ArrayList<>();
        List<CompletableFuture<Mqtt5ConnAckReasonCode>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(prefix + i)
                    .serverHost("127.0.0.1").serverPort(port(node)).buildAsync();
            clients.add(c);
            var b = c.connectWith();
            if (withPassword) b = b.simpleAuth().username(USER).password(PASSWORD.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            inFlight.acquire();
            acks.add(b.send().whenComplete((ack, err) -> inFlight.release()).thenApply(ack -> ack.getReasonCode()));
        }
        for (var ack : acks) {
            assertThat(ack.get(60, TimeUnit.SECONDS)).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        }
        return clients;
    }

    private static void disconnectAll(List<Mqtt5AsyncClient> clients) throws Exception {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (var c : clients) done.add(c.disconnect());
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    private static void connectRate(String variant, Node node, boolean withPassword, int count) throws Exception {
        disconnectAll(connectAll(node, "warm-", Math.min(count, WARMUP_CONNECTS), withPassword));
        long t0 = System.nanoTime();
        List<Mqtt5AsyncClient> clients = connectAll(node, "c-", count, withPassword);
        double seconds = (System.nanoTime() - t0) / 1e9;
        disconnectAll(clients);
        System.out.printf("BENCHMARK auth connect variant=%s clients=%d concurrency=%d connects_per_s=%.0f mean_ms_per_connect=%.2f%n",
                variant, count, CONCURRENT_CONNECTS, count / seconds, seconds * 1000 / count);
    }

    /** @param variant the figure's name, or null for a warm-up run that prints nothing */
    private static void publishRate(String variant, Node node) throws Exception {
        publishRate(variant, node, PUBLISHES);
    }

    private static void publishRate(String variant, Node node, int publishes) throws Exception {
        Mqtt5AsyncClient c = connectAll(node, "pub-", 1, false).get(0);
        byte[] payload = "21.5".getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 2; round++) { // the first round warms the JIT
            long t0 = System.nanoTime();
            List<CompletableFuture<Mqtt5PublishResult>> results = new ArrayList<>(publishes);
            for (int i = 0; i < publishes; i++) {
                results.add(c.publishWith().topic("factory/line-3/sensor-" + (i % 64) + "/temperature")
                        .qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
            }
            for (var r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS).getError()).isEmpty();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (round == 1 && variant != null) {
                System.out.printf("BENCHMARK auth publish variant=%s qos=1 messages=%d publishes_per_s=%.0f%n",
                        variant, publishes, publishes / seconds);
            }
        }
        c.disconnect().get(10, TimeUnit.SECONDS);
    }

    @Test
    void connectRateWithoutAuthWithSha256AndWithBcrypt() throws Exception {
        // A throwaway node first: the JIT warms the connect path so the first measured variant is not penalised
        try (Node node = start("jit", "")) {
            disconnectAll(connectAll(node, "jit-", CONNECTS, false));
        }
        try (Node node = start("none", "")) {
            connectRate("no_auth", node, false, CONNECTS);
        }
        try (Node node = start("sha256", authnConf("name = sha256, salt_position = prefix"))) {
            addUser(node);
            connectRate("built_in_database_sha256", node, true, CONNECTS);
        }
        try (Node node = start("bcrypt", authnConf("name = bcrypt, salt_rounds = 10"))) {
            addUser(node);
            connectRate("built_in_database_bcrypt10", node, true, BCRYPT_CONNECTS);
        }
    }

    @Test
    void publishRateWithoutAclAndWithShippedAcl() throws Exception {
        try (Node node = start("jit-pub", "")) {
            publishRate(null, node); // warms the JIT, prints nothing
        }
        Path acl = Path.of("..", "etc", "acl.conf").toAbsolutePath().normalize();
        try (Node node = start("noacl", "")) {
            publishRate("no_acl", node);
        }
        try (Node node = start("acl", "authorization { sources = [ { type = file, path = \""
                + acl.toString().replace("\\", "/") + "\" } ], no_match = deny, cache { enable = false } }\n")) {
            publishRate("shipped_acl_conf_no_cache", node);
        }
    }

    /**
     * The cost of the asynchronous http source against the file source, in one run: every publish
     * asks a local HTTP service (cache off; connections kept alive by the client), then
     * with the cache on and large enough for the 64 topics (nearly all hits). Fewer messages for the uncached http variant:
     * each one is a request.
     */
    @Test
    void publishRateWithTheHttpSourceAgainstTheFileSource() throws Exception {
        com.sun.net.httpserver.HttpServer service = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        service.setExecutor(threads);
        // 204 (EMQX: allow) has no body, so the JDK server writes the answer in one segment: with a
        // body it writes headers and body apart and, lacking TCP_NODELAY by default, holds the body
        // for the client's delayed ACK, about 40 ms per request on a kept-alive connection.
        service.createContext("/authz", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        service.start();
        try {
            Path acl = Path.of("..", "etc", "acl.conf").toAbsolutePath().normalize();
            String file = "{ type = file, path = \"" + acl.toString().replace("\\", "/") + "\" }";
            String http = "{ type = http, method = post, url = \"http://127.0.0.1:" + service.getAddress().getPort()
                    + "/authz\", body { topic = \"${topic}\" } }";
            try (Node node = start("jit-http", "authorization { sources = [ " + http + " ], cache { enable = false } }\n")) {
                publishRate(null, node, 2_000);
            }
            try (Node node = start("file-nocache", "authorization { sources = [ " + file + " ], cache { enable = false } }\n")) {
                publishRate("file_source_no_cache", node);
            }
            try (Node node = start("http-nocache", "authorization { sources = [ " + http + " ], cache { enable = false } }\n")) {
                publishRate("http_source_no_cache", node, 2_000);
            }
            // max_size above the 64 topics: with the default 32 a round-robin over 64 topics misses every time.
            try (Node node = start("http-cache", "authorization { sources = [ " + http + " ], cache { max_size = 128 } }\n")) {
                publishRate("http_source_cache_64_topics", node);
            }
        } finally {
            service.stop(0);
            threads.shutdownNow();
        }
    }
}

package io.trellis.server.rules;

import static io.trellis.server.rules.RulesNodeTestSupport.api;
import static io.trellis.server.rules.RulesNodeTestSupport.startNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.trellis.server.Node;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BENCHMARKS figure for issue 5: messages/s through a rule with an HTTP action to a real
 * local HTTP server (com.sun.net.httpserver on 127.0.0.1, SSRF policy allowing exactly
 * 127.0.0.1/32), measured until every request is done (sent or dropped). Printed as a BENCHMARK
 * line, never asserted; what is asserted is that every message reached the action and every
 * request was accounted for.
 */
class RulesHttpActionThroughputTest {
    private static final int WARM_UP = 2_000;
    private static final int MESSAGES = 20_000;

    @TempDir
    Path dir;

    private Node node;
    private HttpServer webhook;
    private ExecutorService webhookThreads;

    @AfterEach
    void stop() throws Exception {
        if (node != null) node.close();
        if (webhook != null) webhook.stop(0);
        if (webhookThreads != null) webhookThreads.shutdownNow();
    }

    @Test
    void throughputThroughARuleWithAnHttpAction() throws Exception {
        AtomicLong received = new AtomicLong();
        // one client port per TCP connection: how many connections the action opened
        Set<InetSocketAddress> connections = ConcurrentHashMap.newKeySet();
        webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhookThreads = Executors.newFixedThreadPool(4);
        webhook.setExecutor(webhookThreads);
        webhook.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            received.incrementAndGet();
            connections.add(ex.getRemoteAddress());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        webhook.start();
        String url = "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook";

        node = startNode(dir, dir.resolve("data"), Map.of("TRELLIS_RULE_ENGINE__SSRF__ENABLE", "true"));
        // loopback is denied by default: allow exactly this host, as an operator would
        var policy = api(node, "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("allow_cidrs", List.of("127.0.0.1/32"))));
        assertThat(policy.status()).as(policy.body()).isEqualTo(200);
        var c = api(node, "POST", "/api/v5/connectors", Map.of("type", "http", "name", "hook", "url", url,
                "headers", Map.of("content-type", "application/json")));
        assertThat(c.status()).as(c.body()).isEqualTo(201);
        var a = api(node, "POST", "/api/v5/actions", Map.of("type", "http", "name", "hook", "connector", "hook",
                "parameters", Map.of("method", "post", "body", "{\"t\": ${t}}")));
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        var rule = api(node, "POST", "/api/v5/rules", Map.of("id", "bench_http", "actions", List.of("http:hook"),
                "sql", "SELECT payload.temp as t FROM \"sensors/#\" WHERE payload.temp > 30"));
        assertThat(rule.status()).as(rule.body()).isEqualTo(201);

        byte[] hot = "{\"temp\": 35}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < WARM_UP; i++) node.broker().publish("sensors/a", hot, 0, false);
        int total = WARM_UP + MESSAGES; // the warm-up publishes go through the rule too
        long t0 = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) node.broker().publish("sensors/a", hot, 0, false);
        double publishPath = MESSAGES / ((System.nanoTime() - t0) / 1e9);
        await().atMost(Duration.ofSeconds(120)).until(() -> done(total));
        double seconds = (System.nanoTime() - t0) / 1e9;
        double endToEnd = total / seconds;

        Map<String, Long> m = node.rules().engine().action("http:hook").metrics();
        assertThat(node.rules().engine().rule("bench_http").metrics().get("matched")).isEqualTo(total);
        assertThat(m.get("matched")).isEqualTo(total);
        // every request is accounted for: delivered, failed or dropped, none still pending
        assertThat(m.get("success") + m.get("failed") + m.get("dropped")).isGreaterThanOrEqualTo(total);
        assertThat(received.get()).isGreaterThanOrEqualTo(m.get("success"));
        System.out.printf("BENCHMARK rules (in-process, %d QoS 0 publishes after %d warm-up, %d cores): with an HTTP action"
                        + " to a local com.sun.net.httpserver: publish path %.0f msg/s, until every request done %.0f msg/s"
                        + " (%.0f delivered requests/s over %d connections; requests received %d, success %d, failed %d, dropped %d"
                        + " of which queue full %d, retried %d)%n",
                MESSAGES, WARM_UP, Runtime.getRuntime().availableProcessors(), publishPath, endToEnd,
                m.get("success") / seconds, connections.size(), received.get(), m.get("success"), m.get("failed"), m.get("dropped"),
                m.get("dropped.queue_full"), m.get("retried"));
    }

    private boolean done(int total) throws Exception {
        Map<String, Long> m = node.rules().engine().action("http:hook").metrics();
        return m.get("matched") >= total && m.get("queuing") == 0 && m.get("inflight") == 0;
    }
}

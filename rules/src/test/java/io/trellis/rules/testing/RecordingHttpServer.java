package io.trellis.rules.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A local HTTP server on 127.0.0.1 and a random port that records what it is sent. */
public final class RecordingHttpServer implements AutoCloseable {

    public record Request(String method, String path, Map<String, String> headers, String body) {
    }

    private final HttpServer server;
    public final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    public final AtomicInteger connections = new AtomicInteger();
    /** The client addresses requests came from: one per TCP connection. */
    public final java.util.Set<InetSocketAddress> clientAddresses = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int status = 200;
    private volatile CountDownLatch gate;

    public RecordingHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            connections.incrementAndGet();
            clientAddresses.add(exchange.getRemoteAddress());
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body));
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    public void respondWith(int code) {
        status = code;
    }

    /** Makes every request wait until the returned latch is counted down. */
    public CountDownLatch holdResponses() {
        gate = new CountDownLatch(1);
        return gate;
    }

    @Override
    public void close() {
        CountDownLatch g = gate;
        if (g != null) g.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}

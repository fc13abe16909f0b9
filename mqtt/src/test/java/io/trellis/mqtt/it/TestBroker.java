package io.trellis.mqtt.it;

import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;

/**
 * A Trellis broker for black-box tests: tcp, ssl, ws and wss listeners on 127.0.0.1, random
 * ports, TLS from a throw-away CA in a temp dir that {@link #close()} deletes. Only the public
 * MqttServer API is used, so these tests see the broker the way a client does.
 *
 * <p>With {@code -Dtrellis.it.reference=mosquitto} the same tests run against a mosquitto broker
 * instead ({@link ReferenceBroker}): a test that fails there is wrong, not the broker.
 */
final class TestBroker implements AutoCloseable {
    static final String WS_PATH = "/mqtt";
    private static final Duration WAIT = Duration.ofSeconds(10);

    static {
        // conditions here are met within milliseconds; Awaitility's default 100 ms polls would dominate
        org.awaitility.Awaitility.setDefaultPollDelay(Duration.ZERO);
        org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(10));
    }

    private final Path dir;
    private final TestCertificates certificates;
    private final MqttServer server;
    private final ReferenceBroker reference;

    private TestBroker(BrokerSettings settings) {
        try {
            this.dir = Files.createTempDirectory("trellis-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.certificates = TestCertificates.create(dir);
        if (ReferenceBroker.requested()) {
            this.server = null;
            this.reference = ReferenceBroker.start(dir, certificates, settings);
            return;
        }
        this.reference = null;
        SslContext tls;
        try {
            tls = SslContextBuilder.forServer(certificates.serverKeys.getPrivate(), certificates.server).build();
        } catch (SSLException e) {
            throw new IllegalStateException("could not build server TLS context: " + e, e);
        }
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        List<ListenerSpec> listeners = List.of(
                new ListenerSpec(Type.TCP, "default", any, null, null, Integer.MAX_VALUE),
                new ListenerSpec(Type.SSL, "default", any, tls, null, Integer.MAX_VALUE),
                new ListenerSpec(Type.WS, "default", any, null, WS_PATH, Integer.MAX_VALUE),
                new ListenerSpec(Type.WSS, "default", any, tls, WS_PATH, Integer.MAX_VALUE));
        MqttServer started = new MqttServer(settings, listeners);
        try {
            started.start();
        } catch (RuntimeException e) {
            started.close();
            deleteDir();
            throw e;
        }
        this.server = started;
    }

    static TestBroker start() {
        return start(BrokerSettings.defaults());
    }

    static TestBroker start(BrokerSettings settings) {
        return new TestBroker(settings);
    }

    int port(Type type) {
        if (reference != null) {
            return reference.port(type);
        }
        return server.boundListeners().stream()
                .filter(listener -> listener.spec().type() == type)
                .mapToInt(BoundListener::port)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + type.id() + " listener bound"));
    }

    /** Paho style: tcp://, ssl://, ws://, wss://. */
    String pahoUri(Type type) {
        return switch (type) {
            case TCP -> "tcp://127.0.0.1:" + port(type);
            case SSL -> "ssl://localhost:" + port(type);
            case WS -> "ws://127.0.0.1:" + port(type) + WS_PATH;
            case WSS -> "wss://localhost:" + port(type) + WS_PATH;
        };
    }

    /** mqtt.js style: mqtt://, mqtts://, ws://, wss://. */
    String mqttJsUrl(Type type) {
        return switch (type) {
            case TCP -> "mqtt://127.0.0.1:" + port(type);
            case SSL -> "mqtts://localhost:" + port(type);
            case WS -> "ws://127.0.0.1:" + port(type) + WS_PATH;
            case WSS -> "wss://localhost:" + port(type) + WS_PATH;
        };
    }

    TestCertificates certificates() {
        return certificates;
    }

    /** False when running against the reference broker, which has no admin API. */
    boolean isTrellis() {
        return server != null;
    }

    BrokerAdmin admin() {
        if (server == null) {
            throw new IllegalStateException("the reference broker has no admin API; guard with isTrellis()");
        }
        return server.admin();
    }

    /** Waits until the client's connection is gone while its persistent session stays. */
    void awaitOffline(String clientId) {
        if (isTrellis()) {
            await().atMost(WAIT).until(() -> admin().client(clientId).map(c -> !c.connected()).orElse(false));
        }
    }

    /** Waits until the broker knows neither a connection nor a session of the client. */
    void awaitGone(String clientId) {
        if (isTrellis()) {
            await().atMost(WAIT).until(() -> admin().client(clientId).isEmpty());
        }
    }

    /** Waits until the client's subscription to exactly this filter is in place. */
    void awaitSubscribed(String clientId, String filter) {
        if (isTrellis()) {
            await().atMost(WAIT).until(() -> admin().subscriptions().stream()
                    .anyMatch(s -> s.clientId().equals(clientId) && s.topic().equals(filter)));
        } else {
            reference.awaitSubscribed(clientId, filter);
        }
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
            if (reference != null) {
                reference.close();
            }
        } finally {
            deleteDir();
        }
    }

    private void deleteDir() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}

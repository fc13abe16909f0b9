package io.trellis.mqtt.testing;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * A broker for tests: an {@link MqttServer} on 127.0.0.1 with one listener of each kind (tcp,
 * ssl, ws, wss) on random ports, TLS from a fresh self-signed certificate for localhost /
 * 127.0.0.1. Close it (try-with-resources or @AfterEach).
 *
 * <pre>
 * try (EmbeddedBroker broker = EmbeddedBroker.start()) {
 *     client.connect(broker.tcpUri());   // "tcp://127.0.0.1:41234"
 *     ... broker.sslUri(), broker.wsUri() ("ws://127.0.0.1:p/mqtt"), broker.wssUri()
 *     ... broker.clientSslContext() trusts the server; broker.caPem() for mosquitto / mqtt.js
 * }
 * </pre>
 */
public final class EmbeddedBroker implements AutoCloseable {
    public static final String WS_PATH = "/mqtt";

    private final MqttServer server;
    private final TestCertificates certificates;
    private Path caPem;

    private EmbeddedBroker(MqttServer server, TestCertificates certificates) {
        this.server = server;
        this.certificates = certificates;
    }

    /** With EMQX's default settings. */
    public static EmbeddedBroker start() {
        return start(BrokerSettings.defaults());
    }

    public static EmbeddedBroker start(BrokerSettings settings) {
        TestCertificates certs = TestCertificates.selfSigned();
        SslContext ssl;
        try {
            ssl = SslContextBuilder.forServer(certs.privateKey(), certs.certificate()).build();
        } catch (SSLException e) {
            throw new IllegalStateException("could not build the test server TLS context", e);
        }
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        List<ListenerSpec> listeners = List.of(
                new ListenerSpec(ListenerSpec.Type.TCP, "default", any, null, null, Integer.MAX_VALUE),
                new ListenerSpec(ListenerSpec.Type.SSL, "default", any, ssl, null, Integer.MAX_VALUE),
                new ListenerSpec(ListenerSpec.Type.WS, "default", any, null, WS_PATH, Integer.MAX_VALUE),
                new ListenerSpec(ListenerSpec.Type.WSS, "default", any, ssl, WS_PATH, Integer.MAX_VALUE));
        MqttServer server = new MqttServer(settings, listeners);
        server.start();
        return new EmbeddedBroker(server, certs);
    }

    public MqttServer server() {
        return server;
    }

    public BrokerAdmin admin() {
        return server.admin();
    }

    public int port(ListenerSpec.Type type) {
        return server.boundListeners().stream().filter(l -> l.spec().type() == type)
                .mapToInt(BoundListener::port).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + type.id() + " listener"));
    }

    public int tcpPort() {
        return port(ListenerSpec.Type.TCP);
    }

    public int sslPort() {
        return port(ListenerSpec.Type.SSL);
    }

    public int wsPort() {
        return port(ListenerSpec.Type.WS);
    }

    public int wssPort() {
        return port(ListenerSpec.Type.WSS);
    }

    public String host() {
        return "127.0.0.1";
    }

    public String tcpUri() {
        return "tcp://127.0.0.1:" + tcpPort();
    }

    public String sslUri() {
        return "ssl://127.0.0.1:" + sslPort();
    }

    public String wsUri() {
        return "ws://127.0.0.1:" + wsPort() + WS_PATH;
    }

    public String wssUri() {
        return "wss://127.0.0.1:" + wssPort() + WS_PATH;
    }

    /** Trusts the broker's certificate. */
    public SSLContext clientSslContext() {
        return certificates.clientContext();
    }

    public TestCertificates certificates() {
        return certificates;
    }

    /** The server certificate as a PEM file (a temp file deleted on close), for CLI clients. */
    public synchronized Path caPem() {
        if (caPem == null) {
            try {
                caPem = certificates.writeCertificatePem(Files.createTempFile("trellis-test-ca", ".pem"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return caPem;
    }

    @Override
    public void close() {
        server.close();
        synchronized (this) {
            if (caPem != null) {
                try {
                    Files.deleteIfExists(caPem);
                } catch (IOException ignored) {
                    // a temp file; the OS cleans up
                }
            }
        }
    }
}

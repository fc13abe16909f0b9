package io.trellis.mqtt.it;

import static org.awaitility.Awaitility.await;

import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * mosquitto as a stand-in for Trellis, to check the tests themselves: run them with
 * {@code -Dtrellis.it.reference=mosquitto}. Ports are picked by binding port 0 and releasing it,
 * a small race that is acceptable in this developer-only mode. Trellis-only checks (admin API)
 * are skipped there.
 */
final class ReferenceBroker implements AutoCloseable {
    private final Process process;
    private final Map<Type, Integer> ports;
    private final Path log;

    private ReferenceBroker(Process process, Map<Type, Integer> ports, Path log) {
        this.process = process;
        this.ports = ports;
        this.log = log;
    }

    static boolean requested() {
        return "mosquitto".equals(System.getProperty("trellis.it.reference"));
    }

    static ReferenceBroker start(Path dir, TestCertificates certificates, BrokerSettings settings) {
        Path binary = Path.of("/usr/sbin/mosquitto");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("-Dtrellis.it.reference=mosquitto needs " + binary
                    + " (Debian package mosquitto)");
        }
        Map<Type, Integer> ports = new EnumMap<>(Type.class);
        for (Type type : Type.values()) {
            ports.put(type, freePort());
        }
        Path log = dir.resolve("mosquitto.log");
        String tls = "certfile " + certificates.certFile + "\nkeyfile " + certificates.keyFile + "\n";
        String config = "per_listener_settings false\nallow_anonymous true\nuser root\n"
                + "log_dest file " + log + "\nlog_type all\n"
                + "max_packet_size " + settings.maxPacketSize() + "\n"
                + "max_inflight_messages " + settings.maxInflight() + "\n"
                + "max_queued_messages " + settings.maxMqueueLen() + "\n"
                + "listener " + ports.get(Type.TCP) + " 127.0.0.1\n"
                + "listener " + ports.get(Type.SSL) + " 127.0.0.1\n" + tls
                + "listener " + ports.get(Type.WS) + " 127.0.0.1\nprotocol websockets\n"
                + "listener " + ports.get(Type.WSS) + " 127.0.0.1\nprotocol websockets\n" + tls;
        try {
            Path file = dir.resolve("mosquitto.conf");
            Files.writeString(file, config);
            Process process = new ProcessBuilder(List.of(binary.toString(), "-c", file.toString()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
            ReferenceBroker broker = new ReferenceBroker(process, ports, log);
            try {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> ports.values().stream().allMatch(ReferenceBroker::accepts));
            } catch (RuntimeException notListening) {
                broker.close();
                throw new IllegalStateException("mosquitto did not open its listeners: "
                        + Files.readString(dir.resolve("mosquitto.out"))
                        + (Files.exists(log) ? Files.readString(log) : ""), notListening);
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start mosquitto", e);
        }
    }

    int port(Type type) {
        return ports.get(type);
    }

    /** mosquitto logs "&lt;client&gt; &lt;qos&gt; &lt;filter&gt;" for each subscription. */
    void awaitSubscribed(String clientId, String filter) {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).stream()
                .anyMatch(line -> line.endsWith(" " + clientId + " 1 " + filter)
                        || line.endsWith(" " + clientId + " 0 " + filter)
                        || line.endsWith(" " + clientId + " 2 " + filter)));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

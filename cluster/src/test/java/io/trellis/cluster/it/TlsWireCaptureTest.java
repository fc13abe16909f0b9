package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.trellis.cluster.transport.ChannelTls;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.security.TlsContexts;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing readable on the wire: tcpdump captures the cluster ports of two nodes on loopback while
 * a message with a marker payload crosses from one to the other. With TLS on both channels the
 * marker is absent from the capture; without TLS it is present (which proves the capture works).
 * Needs tcpdump and the right to capture (apt package tcpdump, root or CAP_NET_RAW); skipped
 * without them unless CI=true.
 */
class TlsWireCaptureTest {
    @TempDir
    Path dir;

    @Test
    void markerIsAbsentFromTheWireWithTlsAndPresentWithout() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        if (!ci) {
            assumeThat(onPath("tcpdump")).as("tcpdump on PATH (apt package tcpdump)").isTrue();
        }
        assertThat(markerOnTheWire(true)).as("marker visible with TLS").isFalse();
        assertThat(markerOnTheWire(false)).as("marker visible without TLS").isTrue();
    }

    private boolean markerOnTheWire(boolean tls) throws Exception {
        TestCerts certs = new TestCerts(dir, "wire-" + tls);
        String marker = "MARKER-" + UUID.randomUUID();
        try (ClusterHarness cluster = new ClusterHarness("127.0.0.1", 1)) {
            cluster.transport = node -> tls
                    ? new TransportSecurity(certs.tls(node, TlsContexts.provider()), certs.tls(node, TlsContexts.provider()))
                    : TransportSecurity.PLAIN;
            cluster.add("w1", ClusterHarness.COOKIE);
            cluster.add("w2", ClusterHarness.COOKIE);
            List<Integer> ports = List.of(cluster.node(1).cluster.rpcPort(), cluster.node(2).cluster.rpcPort(),
                    cluster.node(1).cluster.distPort(), cluster.node(2).cluster.distPort());
            Path pcap = dir.resolve("capture-" + tls + ".pcap");
            Process tcpdump = startCapture(pcap, ports);
            try {
                cluster.node(2).cluster.join(cluster.node(1).nodeName(), cluster.node(1).distAddress()).join();
                cluster.awaitMesh();
                Mqtt5AsyncClient sub = cluster.client(cluster.node(1));
                Queue<String> got = cluster.subscribe(sub, "wire/#", MqttQos.AT_LEAST_ONCE);
                Mqtt5AsyncClient pub = cluster.client(cluster.node(2));
                long before = Files.size(pcap);
                await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
                    cluster.publish(pub, "wire/" + marker, marker, MqttQos.AT_LEAST_ONCE, false);
                    assertThat(got).contains(marker);
                });
                // The forwarded message's packets are in the file before capture stops (-U writes each packet).
                await().atMost(10, TimeUnit.SECONDS).until(() -> Files.size(pcap) > before);
            } finally {
                // SIGINT (not destroy(), which closes our end of its stderr): tcpdump flushes, prints its counts and exits.
                new ProcessBuilder("kill", "-INT", Long.toString(tcpdump.pid())).start().waitFor(10, TimeUnit.SECONDS);
                assertThat(tcpdump.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            byte[] captured = Files.readAllBytes(pcap);
            String summary = new String(tcpdump.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(captured.length).as("the capture holds packets; tcpdump said: " + summary + " ports " + ports).isGreaterThan(1000);
            return new String(captured, StandardCharsets.ISO_8859_1).contains(marker);
        }
    }

    /** Starts tcpdump on lo for the ports and returns once it says it is listening. */
    private static Process startCapture(Path pcap, List<Integer> ports) throws Exception {
        StringBuilder filter = new StringBuilder();
        for (int port : ports) {
            filter.append(filter.length() == 0 ? "" : " or ").append("tcp port ").append(port);
        }
        List<String> command = new java.util.ArrayList<>(List.of("tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-w", pcap.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("-Z", "root")); // else it writes as user tcpdump, who cannot enter the temp dir
        }
        command.add(filter.toString());
        Process p = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> listening = CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder seen = new StringBuilder();
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    seen.append(line).append('\n');
                    if (line.contains("listening on")) {
                        return "ok";
                    }
                }
                return seen.toString();
            } catch (Exception e) {
                return e.toString();
            }
        });
        String outcome = listening.get(20, TimeUnit.SECONDS);
        assertThat(outcome).as("tcpdump started (needs root or CAP_NET_RAW)").isEqualTo("ok");
        return p;
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && List.of(path.split(File.pathSeparator)).stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}

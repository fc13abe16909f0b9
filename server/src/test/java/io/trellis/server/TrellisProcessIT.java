package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code bin/trellis} as a user runs it: start, ctl, SIGTERM, check-config. Runs in
 * {@code verify} after {@code package} has made server/target/trellis-server.jar and lib/.
 * Skipped (not failed) while the broker is still a stub.
 */
class TrellisProcessIT {
    /** Failsafe runs in the module dir; the install dir is its parent. */
    private static final Path HOME = Path.of("").toAbsolutePath().getParent();
    private static final Path TRELLIS = HOME.resolve("bin").resolve("trellis");

    @TempDir
    Path dir;

    private Process node;
    private final List<String> nodeOutput = new CopyOnWriteArrayList<>();

    @AfterEach
    void killLeftovers() throws Exception {
        if (node != null && node.isAlive()) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private ProcessBuilder trellis(Map<String, String> env, String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(TRELLIS.toString());
        pb.command().addAll(List.of(args));
        pb.environment().keySet().removeIf(k -> k.startsWith("TRELLIS_"));
        pb.environment().putAll(env);
        return pb.redirectErrorStream(true);
    }

    /** Runs a short command to its end; returns exit code and output. */
    private record Result(int exit, String output) {
    }

    private static List<String> output(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    private Result run(Map<String, String> env, String... args) throws Exception {
        return run(trellis(env, args));
    }

    private Result run(ProcessBuilder pb) throws Exception {
        List<String> args = pb.command();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("trellis %s finished", List.of(args)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void startCtlAndStopTheRealProcess() throws Exception {
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        int tcpPort = NodeTest.freePort();
        Map<String, String> env = NodeTest.testEnv(dir.resolve("data"), tcpPort, NodeTest.freePort());
        Path conf = Files.writeString(dir.resolve("trellis.conf"), "log.console.level = info\n");
        env.put("TRELLIS_CONF", conf.toString());
        Path logFile = dir.resolve("log").resolve("trellis.log");
        env.put("TRELLIS_LOG__FILE__ENABLE", "true");
        env.put("TRELLIS_LOG__FILE__LEVEL", "info");
        env.put("TRELLIS_LOG__FILE__PATH", logFile.toString());

        // Output to a file: Process.destroy() closes the pipes, which would lose the last lines.
        Path outFile = dir.resolve("node.out");
        node = trellis(env, "start").redirectOutput(outFile.toFile()).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> output(outFile).contains("node itest@127.0.0.1 started")
                || !node.isAlive());
        nodeOutput.addAll(output(outFile));
        assertThat(node.isAlive()).as("node runs; output: %s", nodeOutput).isTrue();
        assertThat(nodeOutput).contains("listener tcp:default on 127.0.0.1:" + tcpPort);

        Result status = run(env, "ctl", "status");
        assertThat(status.exit()).as(status.output()).isZero();
        assertThat(status.output()).contains("Node itest@127.0.0.1").contains("is started");

        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("process-it")
                .serverHost("127.0.0.1").serverPort(tcpPort).buildBlocking();
        client.connect();
        try {
            Result clients = run(env, "ctl", "clients", "list");
            assertThat(clients.exit()).as(clients.output()).isZero();
            assertThat(clients.output()).contains("process-it");
        } finally {
            client.disconnect();
        }

        node.destroy(); // SIGTERM
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as("exit code; output: %s", output(outFile)).isZero();
        assertThat(output(outFile)).contains("node itest@127.0.0.1 stopped");
        assertThat(output(logFile)).anySatisfy(line -> assertThat(line).contains("node itest@127.0.0.1 started"))
                .anySatisfy(line -> assertThat(line).contains("node itest@127.0.0.1 stopped"));

        Result down = run(env, "ctl", "status");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.output()).contains("node itest@127.0.0.1 is not running (no answer on 127.0.0.1:");
    }

    @Test
    void checkConfigNamesTheKeyAndTheFile() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), "mqtt.max_inflight = many\n");
        Result r = run(Map.of(), "check-config", "--config", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains(bad.toString()).contains("mqtt.max_inflight").doesNotContain("\tat ");

        Path good = Files.writeString(dir.resolve("good.conf"), "mqtt.max_inflight = 10\n");
        Result ok = run(Map.of(), "check-config", "--config", good.toString());
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("config OK: " + good);

        // Through a symlink, from another directory, with a --config relative to that directory.
        Path link = Files.createSymbolicLink(dir.resolve("trellis"), TRELLIS);
        ProcessBuilder viaLink = trellis(Map.of(), "check-config", "--config", "good.conf").directory(dir.toFile());
        viaLink.command().set(0, link.toString());
        Result relative = run(viaLink);
        assertThat(relative.exit()).as(relative.output()).isZero();
        assertThat(relative.output()).contains("config OK: " + good);
    }
}

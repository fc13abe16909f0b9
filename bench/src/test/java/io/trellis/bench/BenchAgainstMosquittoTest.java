package io.trellis.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.trellis.bench.stats.Summary;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.trellis.security.DevCertificates;

/**
 * Short bench runs against a real broker: Debian's mosquitto, started on a free port. Skipped
 * when mosquitto is not installed, except under CI=true where that is a failure.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchAgainstMosquittoTest {
    private static Process mosquitto;
    private static int port;
    private static int tlsPort;
    @TempDir
    static Path certs;

    @BeforeAll
    static void startMosquitto() throws Exception {
        Optional<Path> exe = findMosquitto();
        if (exe.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("mosquitto is not installed but CI=true: install it with `apt-get install -y mosquitto`");
            }
            assumeTrue(false, "mosquitto is not installed (apt-get install -y mosquitto): skipping the bench runs");
        }
        port = freePort();
        tlsPort = freePort();
        DevCertificates.ensure(certs.resolve("broker"));
        DevCertificates.ensure(certs.resolve("other"));
        Path broker = certs.resolve("broker");
        Path conf = Files.writeString(certs.resolve("mosquitto.conf"), String.join("\n",
                "user root", // started as root, mosquitto would drop to a user that cannot read the 600 key file
                "listener " + port + " 127.0.0.1",
                "allow_anonymous true",
                "listener " + tlsPort + " 127.0.0.1",
                "cafile " + broker.resolve("ca.pem"),
                "certfile " + broker.resolve("cert.pem"),
                "keyfile " + broker.resolve("key.pem"),
                ""));
        mosquitto = new ProcessBuilder(exe.get().toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(certs.resolve("mosquitto.log").toFile()).start();
        for (int p : new int[] {port, tlsPort}) {
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                assertThat(mosquitto.isAlive()).as("mosquitto exited at start: %s",
                        mosquitto.isAlive() ? "" : Files.readString(certs.resolve("mosquitto.log"))).isTrue();
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", p), 500);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    @AfterAll
    static void stopMosquitto() throws Exception {
        if (mosquitto != null) {
            mosquitto.destroy();
            if (!mosquitto.waitFor(10, TimeUnit.SECONDS)) {
                mosquitto.destroyForcibly();
            }
        }
    }

    @Test
    void pubsubQos1DeliversEveryMessageToEverySubscriberWithLatency() {
        BenchMain.Result r = bench("pubsub", "-c", "2", "--subs", "2", "-q", "1", "--count", "200", "-I", "1", "-s", "64",
                "-t", "trellis-test/q1/%i");
        Summary s = r.summary();
        assertThat(r.exitCode()).isZero();
        assertThat(s.connected()).isEqualTo(4);
        assertThat(s.sent()).isEqualTo(400);
        assertThat(s.acked()).isEqualTo(400);
        assertThat(s.received()).isEqualTo(800);
        assertThat(s.latency().count()).isEqualTo(800);
        assertThat(s.latency().max()).isGreaterThanOrEqualTo(s.latency().p50()).isGreaterThan(0);
        assertThat(s.errors()).isZero();
        assertThat(s.connectFailures()).isZero();
    }

    @Test
    void pubsubQos2CompletesTheFourWayHandshake() {
        Summary s = bench("pubsub", "-c", "1", "--subs", "1", "-q", "2", "--count", "50", "-I", "0", "--inflight", "5",
                "-V", "4", "-t", "trellis-test/q2/%c").summary();
        assertThat(s.sent()).isEqualTo(50);
        assertThat(s.acked()).isEqualTo(50);
        assertThat(s.received()).isEqualTo(50);
        assertThat(s.errors()).isZero();
    }

    @Test
    void tlsVerifiesTheBrokerAgainstTheCaFile() {
        String ca = certs.resolve("broker/ca.pem").toString();
        BenchMain.Result verified = BenchMain.run(quiet(), quiet(), "pubsub", "--ssl", "--cafile", ca, "-h", "localhost",
                "-p", Integer.toString(tlsPort), "-c", "2", "-q", "1", "--count", "20", "-I", "1", "-t", "trellis-test/tls/%i");
        assertThat(verified.exitCode()).isZero();
        assertThat(verified.summary().received()).isEqualTo(40);

        BenchMain.Result insecure = BenchMain.run(quiet(), quiet(), "pub", "--ssl", "--insecure", "-h", "127.0.0.1",
                "-p", Integer.toString(tlsPort), "--count", "5", "-I", "1", "-t", "trellis-test/tls/x");
        assertThat(insecure.summary().sent()).isEqualTo(5);

        BenchMain.Result otherCa = BenchMain.run(quiet(), quiet(), "conn", "--ssl", "--cafile",
                certs.resolve("other/ca.pem").toString(), "-h", "localhost", "-p", Integer.toString(tlsPort), "-c", "2");
        assertThat(otherCa.exitCode()).isEqualTo(1);
        assertThat(otherCa.summary().connectFailures()).isEqualTo(2);
    }

    @Test
    void pubAtFullSpeedStopsAfterCount() {
        Summary s = bench("pub", "-c", "3", "-I", "0", "--count", "1000", "-s", "16", "-t", "trellis-test/q0/%i").summary();
        assertThat(s.sent()).isEqualTo(3000);
        assertThat(s.errors()).isZero();
        assertThat(s.sentOverallPerSec()).isPositive();
    }

    @Test
    void connHoldsIdleConnectionsUntilDurationEnds() {
        BenchMain.Result r = bench("conn", "-c", "50", "--connrate", "500", "-d", "1s", "-k", "30");
        assertThat(r.summary().connected()).isEqualTo(50);
        assertThat(r.summary().connectFailures()).isZero();
        assertThat(r.summary().connectRatePerSec()).isPositive();
    }

    @Test
    void jsonSummaryIsOneObjectOnStdout() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        BenchMain.Result r = BenchMain.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "pubsub", "-p", Integer.toString(port), "-c", "1",
                "--count", "10", "-I", "1", "--json", "-t", "trellis-test/json/%i");
        assertThat(r.exitCode()).isZero();
        String json = out.toString(StandardCharsets.UTF_8).trim();
        assertThat(json).startsWith("{\"mode\":\"pubsub\"").endsWith("}").doesNotContain("\n")
                .contains("\"sent\":10,").contains("\"received\":10,").contains("\"p99\":");
    }

    @Test
    void refusedConnectionsAreCountedAndExitNonZero() throws IOException {
        BenchMain.Result r = BenchMain.run(quiet(), quiet(), "conn", "-p", Integer.toString(freePort()), "-c", "3");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.summary().connectFailures()).isEqualTo(3);
        assertThat(r.summary().connected()).isZero();
    }

    @Test
    void badOptionsAreNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(BenchMain.run(quiet(), errStream, "pub", "-t", "x", "-q", "3").exitCode()).isEqualTo(2);
        assertThat(BenchMain.run(quiet(), errStream, "pub", "-t", "x", "-I", "5", "-R", "100").exitCode()).isEqualTo(2);
        assertThat(BenchMain.run(quiet(), errStream, "conn", "-d", "ten").exitCode()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("-q/--qos must be 0, 1 or 2, got 3")
                .contains("give either -I/--interval (per connection) or -R/--rate (total), not both")
                .contains("'ten' is not a duration");
    }

    private static BenchMain.Result bench(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "-p");
        all.add(2, Integer.toString(port));
        all.add(3, "-h");
        all.add(4, "127.0.0.1");
        return BenchMain.run(quiet(), quiet(), all.toArray(String[]::new));
    }

    private static PrintStream quiet() {
        return new PrintStream(PrintStream.nullOutputStream());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Optional<Path> findMosquitto() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/sbin");
        dirs.add("/usr/local/sbin");
        return dirs.stream().map(d -> Path.of(d, "mosquitto")).filter(Files::isExecutable).findFirst();
    }
}

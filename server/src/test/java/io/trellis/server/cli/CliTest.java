package io.trellis.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.broker.SubscriptionInfo;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.server.api.ApiKeys;
import io.trellis.server.api.ApiServer;
import io.trellis.server.api.LocalCredential;
import io.trellis.server.api.ManagementApi;
import io.trellis.server.api.NodeView;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI in-process: exit codes, check-config messages, and ctl against a real API server. */
class CliTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        return TrellisCommand.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    private Path config(String hocon) throws Exception {
        return Files.writeString(dir.resolve("trellis.conf"), hocon);
    }

    @Test
    void checkConfigAcceptsAGoodFile() throws Exception {
        Path file = config("node.name = \"t1@127.0.0.1\"\nmqtt.max_packet_size = 2MB\n");
        assertThat(run(Map.of(), "check-config", "--config", file.toString())).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("config OK: " + file);
        // TRELLIS_DEBUG is the CLI's, not a config key.
        assertThat(run(Map.of("TRELLIS_DEBUG", "1"), "check-config", "--config", file.toString())).isEqualTo(ExitCodes.OK);
    }

    @Test
    void checkConfigNamesKeyAndFileOfEachProblem() throws Exception {
        Path file = config("mqtt.max_packet_sise = 1MB\nmqtt.max_inflight = lots\n");
        assertThat(run(Map.of("TRELLIS_CONF", file.toString()), "check-config")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains(file.toString()).contains("mqtt.max_packet_sise")
                .contains("mqtt.max_inflight").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void missingConfigFileIsAClearError() {
        assertThat(run(Map.of(), "check-config", "--config", dir.resolve("nope.conf").toString()))
                .isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("nope.conf");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(run(Map.of(), "frobnicate")).isEqualTo(ExitCodes.USAGE);
        assertThat(run(Map.of(), "ctl", "clients", "show")).isEqualTo(ExitCodes.USAGE);
        assertThat(run(Map.of(), "version")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).startsWith("trellis ");
    }

    @Test
    void ctlSaysWhenTheNodeIsNotRunning() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path file = config("node.name = \"t1@127.0.0.1\"\n");
        Map<String, String> env = Map.of("TRELLIS_NODE__DATA_DIR", dir.resolve("data").toString(),
                "TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "0.0.0.0:" + port);
        assertThat(run(env, "ctl", "--config", file.toString(), "status")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("node t1@127.0.0.1 is not running (no answer on 127.0.0.1:" + port + ")");
    }

    @Test
    void ctlTalksToTheApiWithTheLocalCredential() throws Exception {
        List<ClientInfo> clients = new CopyOnWriteArrayList<>(List.of(
                new ClientInfo("dev/1", "alice", "127.0.0.1", 40000, "tcp:default", true, "MQTT", 5, 30, true, 0,
                        1_700_000_000_000L, 0, 1, 0, 0, 0, 2, 3)));
        BrokerAdmin broker = new BrokerAdmin() {
            public List<ClientInfo> clients() {
                return List.copyOf(clients);
            }

            public Optional<ClientInfo> client(String id) {
                return clients.stream().filter(c -> c.clientId().equals(id)).findFirst();
            }

            public boolean kick(String id) {
                return clients.removeIf(c -> c.clientId().equals(id));
            }

            public List<SubscriptionInfo> subscriptions() {
                return List.of(new SubscriptionInfo("dev/1", "sensors/#", 1, false, false, 0));
            }

            public List<String> topics() {
                return List.of("sensors/#");
            }

            public Map<String, Long> metrics() {
                return Map.of("messages.received", 5L);
            }

            public Map<String, Long> stats() {
                return Map.of("connections.count", 1L);
            }

            public int publish(String topic, byte[] payload, int qos, boolean retain) {
                return 0;
            }
        };
        NodeView node = new NodeView() {
            public String nodeName() {
                return "t1@127.0.0.1";
            }

            public String version() {
                return "test";
            }

            public long startedAtMillis() {
                return System.currentTimeMillis() - 65_000;
            }

            public BrokerAdmin broker() {
                return broker;
            }

            public List<BoundListener> listeners() {
                return List.of();
            }
        };
        Path dataDir = dir.resolve("data");
        LocalCredential cred = LocalCredential.generate();
        cred.write(dataDir);
        try (ApiServer api = new ApiServer(new ManagementApi(node, new ObjectMapper()),
                new ApiKeys().add(cred.key(), cred.secret()))) {
            InetSocketAddress bound = api.start(new InetSocketAddress("127.0.0.1", 0));
            Path file = config("node.name = \"t1@127.0.0.1\"\n");
            Map<String, String> env = new HashMap<>(Map.of("TRELLIS_CONF", file.toString(),
                    "TRELLIS_NODE__DATA_DIR", dataDir.toString(),
                    "TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + bound.getPort()));

            assertThat(run(env, "ctl", "status")).isEqualTo(ExitCodes.OK);
            assertThat(out.toString()).contains("Node t1@127.0.0.1 test is started").contains("uptime: 1m");

            assertThat(run(env, "ctl", "clients", "list")).isEqualTo(ExitCodes.OK);
            assertThat(out.toString()).contains("CLIENTID").contains("dev/1").contains("alice").contains("1 client(s)");

            assertThat(run(env, "ctl", "clients", "show", "dev/1", "--json")).isEqualTo(ExitCodes.OK);
            assertThat(out.toString()).contains("\"clientid\" : \"dev/1\"");

            assertThat(run(env, "ctl", "subscriptions", "list")).isEqualTo(ExitCodes.OK);
            assertThat(run(env, "ctl", "topics", "list")).isEqualTo(ExitCodes.OK);
            assertThat(run(env, "ctl", "metrics")).isEqualTo(ExitCodes.OK);
            assertThat(run(env, "ctl", "listeners")).isEqualTo(ExitCodes.OK);
            assertThat(out.toString()).contains("sensors/#").contains("messages.received");

            assertThat(run(env, "ctl", "clients", "kick", "dev/1")).isEqualTo(ExitCodes.OK);
            assertThat(out.toString()).contains("client dev/1 kicked");
            assertThat(run(env, "ctl", "clients", "kick", "dev/1")).isEqualTo(ExitCodes.FAILURE);
            assertThat(err.toString()).contains("no client dev/1 on node t1@127.0.0.1");

            // A credential the node does not know is refused with a message naming the file.
            LocalCredential.generate().write(dataDir);
            assertThat(run(env, "ctl", "status")).isEqualTo(ExitCodes.FAILURE);
            assertThat(err.toString()).contains("refused the local credential").contains("local.cred");
        }
    }
}

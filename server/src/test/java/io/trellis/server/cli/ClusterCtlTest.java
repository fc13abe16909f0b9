package io.trellis.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.cluster.NodeName;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.broker.SubscriptionInfo;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.server.api.ApiKeys;
import io.trellis.server.api.ApiServer;
import io.trellis.server.api.LocalCredential;
import io.trellis.server.api.ManagementApi;
import io.trellis.server.api.NodeView;
import io.trellis.server.cluster.ClusterControl;
import io.trellis.server.cluster.FakeCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ctl cluster ... and ctl ports in-process, against a real API server over a fake cluster. */
class ClusterCtlTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SELF = "trellis1@127.0.0.1";

    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();
    private ApiServer api;
    private Map<String, String> env;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        String[] full = new String[args.length + 1];
        full[0] = "ctl";
        System.arraycopy(args, 0, full, 1, args.length);
        return TrellisCommand.run(full, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** Serves the API of a node whose cluster is {@code cluster} and points ctl at it. */
    private void serve(ClusterControl cluster) throws Exception {
        NodeView node = new NodeView() {
            public String nodeName() {
                return SELF;
            }

            public String version() {
                return "test";
            }

            public long startedAtMillis() {
                return System.currentTimeMillis() - 5_000;
            }

            public BrokerAdmin broker() {
                return new NoBroker();
            }

            public List<BoundListener> listeners() {
                return List.of(new BoundListener(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                        new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE),
                        new InetSocketAddress("127.0.0.1", 18830)));
            }

            public InetSocketAddress apiAddress() {
                return new InetSocketAddress("127.0.0.1", 18083);
            }

            public ClusterControl cluster() {
                return cluster;
            }
        };
        Path dataDir = dir.resolve("data");
        LocalCredential cred = LocalCredential.generate();
        cred.write(dataDir);
        api = new ApiServer(new ManagementApi(node, new ObjectMapper()), new ApiKeys().add(cred.key(), cred.secret()));
        InetSocketAddress bound = api.start(new InetSocketAddress("127.0.0.1", 0));
        Path file = Files.writeString(dir.resolve("trellis.conf"), "node.name = \"" + SELF + "\"\n");
        env = Map.of("TRELLIS_CONF", file.toString(), "TRELLIS_NODE__DATA_DIR", dataDir.toString(),
                "TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + bound.getPort());
    }

    @Test
    void joinStatusPortsLeaveAndForceLeave() throws Exception {
        FakeCluster cluster = new FakeCluster(SELF);
        serve(ClusterControl.of(cluster));

        assertThat(run("cluster", "join", "trellis2@127.0.0.1")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("joined the cluster of trellis2@127.0.0.1").contains(SELF);
        cluster.members.put(NodeName.parse("trellis3@127.0.0.1"), false);

        assertThat(run("cluster", "status")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("NODE").contains("UPTIME").contains("DIST_PORT");
        assertThat(out.toString().lines().filter(l -> l.startsWith("trellis2@127.0.0.1")).findFirst().orElseThrow())
                .contains("running").contains("test").contains("4372").contains("5372");
        assertThat(out.toString().lines().filter(l -> l.startsWith("trellis3@127.0.0.1")).findFirst().orElseThrow())
                .contains("stopped").contains("4373");

        assertThat(run("status")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("Node " + SELF + " test is started").contains("in a cluster of 3 known nodes")
                .doesNotContain("trellis2@");

        assertThat(run("cluster", "status", "--json")).as(err.toString()).isEqualTo(ExitCodes.OK);
        JsonNode nodes = JSON.readTree(out.toString());
        assertThat(nodes).hasSize(3);
        assertThat(nodes.get(0).path("node").asText()).isEqualTo(SELF);
        assertThat(nodes.get(0).path("node_status").asText()).isEqualTo("running");
        assertThat(nodes.get(0).path("dist_port").asInt()).isEqualTo(4371);

        assertThat(run("ports")).as(err.toString()).isEqualTo(ExitCodes.OK);
        String ports = out.toString();
        assertThat(ports).contains("DIRECTION").contains("PEER");
        assertThat(ports.lines()).anySatisfy(l -> assertThat(l).contains("listen").contains("18830").contains("MQTT"))
                .anySatisfy(l -> assertThat(l).contains("listen").contains("18083").contains("management API"))
                .anySatisfy(l -> assertThat(l).contains("listen").contains("4371").contains("distribution"))
                .anySatisfy(l -> assertThat(l).contains("dial").contains("4372").contains("trellis2@127.0.0.1"));

        assertThat(run("cluster", "force-leave", "trellis3@127.0.0.1")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(cluster.members).doesNotContainKey(NodeName.parse("trellis3@127.0.0.1"));
        assertThat(run("cluster", "force-leave", "trellis3@127.0.0.1")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("trellis3@127.0.0.1 is not in this cluster");

        assertThat(run("cluster", "leave")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(cluster.members).isEmpty();
    }

    @Test
    void statusShowsAPeerHeldApartAfterAPartitionAndHowToMerge() throws Exception {
        FakeCluster cluster = new FakeCluster(SELF);
        NodeName peer = NodeName.parse("trellis2@127.0.0.1");
        cluster.members.put(peer, true);
        cluster.partitioned.add(peer);
        serve(ClusterControl.of(cluster));

        assertThat(run("cluster", "status")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(out.toString().lines().filter(l -> l.startsWith("trellis2@127.0.0.1")).findFirst().orElseThrow())
                .contains("partitioned");
        assertThat(out.toString()).contains("cluster.autoheal = false").contains("bin/trellis ctl cluster join trellis2@127.0.0.1");
        assertThat(run("cluster", "status", "--json")).as(err.toString()).isEqualTo(ExitCodes.OK);
        JsonNode nodes = JSON.readTree(out.toString());
        assertThat(nodes.get(1).path("partitioned").asBoolean()).isTrue();
        assertThat(call("GET", "/api/v5/cluster", null)).contains("\"partitioned\":[\"trellis2@127.0.0.1\"]");

        cluster.partitioned.clear(); // merged
        assertThat(run("cluster", "status")).as(err.toString()).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).doesNotContain("partitioned");
    }

    @Test
    void aRefusedJoinExits1WithTheReason() throws Exception {
        FakeCluster cluster = new FakeCluster(SELF);
        cluster.refusals.put(NodeName.parse("trellis9@127.0.0.1"), "cookie mismatch");
        serve(ClusterControl.of(cluster));

        assertThat(run("cluster", "join", "trellis9@127.0.0.1")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("cannot join trellis9@127.0.0.1: cookie mismatch (give both nodes the same node.cookie)")
                .doesNotContain("Exception");

        // The API directly: EMQX's invite, and join bodies that are wrong.
        assertThat(call("PUT", "/api/v5/cluster/trellis9%40127.0.0.1/invite", null)).startsWith("400 ").contains("cookie mismatch");
        assertThat(call("PUT", "/api/v5/cluster/trellis4%40127.0.0.1/invite", null)).startsWith("200 ").contains("trellis4@127.0.0.1");
        assertThat(call("POST", "/api/v5/cluster/join", "{\"nod\": 1}")).startsWith("400 ").contains("body needs \\\"node\\\"");
        assertThat(call("GET", "/api/v5/cluster", null)).startsWith("200 ").contains("\"name\":\"trellis\"")
                .contains("\"nodes\":[\"" + SELF + "\",\"trellis4@127.0.0.1\"]");
        assertThat(call("DELETE", "/api/v5/cluster/nobody1%40127.0.0.1/force_leave", null)).startsWith("404 ");

        assertThat(run("cluster", "join", "not a node")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("node name 'not a node' is invalid");

        assertThat(run("cluster", "join", SELF)).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("that is this node");
    }

    @Test
    void aNodeAloneAnswersEveryClusterCommandWithItsReason() throws Exception {
        String reason = "clustering is refused: node.cookie is not set; set node.cookie";
        serve(ClusterControl.alone(SELF, reason));

        assertThat(run("cluster", "join", "trellis2@127.0.0.1")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains(SELF + " runs alone: " + reason);
        assertThat(run("cluster", "leave")).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("runs alone");

        assertThat(run("cluster", "status")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains(SELF).contains("running").contains("this node runs alone: " + reason);

        assertThat(run("ports")).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("18830").doesNotContain("distribution");
    }

    @Test
    void aJoinInProgressDoesNotHoldUpOtherApiCalls() throws Exception {
        FakeCluster cluster = new FakeCluster(SELF);
        java.util.concurrent.CompletableFuture<Void> slow = new java.util.concurrent.CompletableFuture<>();
        cluster.pending.put(NodeName.parse("slow2@127.0.0.1"), slow);
        serve(ClusterControl.of(cluster));
        var joining = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call("POST", "/api/v5/cluster/join", "{\"node\":\"slow2@127.0.0.1\"}");
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        org.awaitility.Awaitility.await().until(() -> slow.getNumberOfDependents() > 0);
        assertThat(call("GET", "/api/v5/cluster", null)).startsWith("200 ").doesNotContain("slow2");
        slow.complete(null);
        assertThat(joining.get(10, java.util.concurrent.TimeUnit.SECONDS)).startsWith("200 ").contains("slow2@127.0.0.1");
    }

    @Test
    void checkConfigChecksTheClusterKeysAndSaysWhenTheNodeWillRunAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("c.conf"),
                "node.name = \"" + SELF + "\"\ncluster.heartbeat_interval = 5s\ncluster.node_down_timeout = 6s\n");
        env = Map.of();
        assertThat(trellisCommand("check-config", "--config", file.toString())).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("cluster.node_down_timeout").contains("3 x cluster.heartbeat_interval");

        Path alone = Files.writeString(dir.resolve("alone.conf"), "node.name = \"" + SELF + "\"\n");
        assertThat(trellisCommand("check-config", "--config", alone.toString())).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("config OK").contains("note: this node will run alone")
                .contains("node.cookie is not set");

        env = Map.of("TRELLIS_NODE__COOKIE", "a-Long-random-cookie-for-check-config");
        assertThat(trellisCommand("check-config", "--config", alone.toString())).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("config OK").doesNotContain("run alone").doesNotContain("a-Long-random");
    }

    /** Runs a top-level trellis command (not ctl). */
    private int trellisCommand(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return TrellisCommand.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** Calls the API with the local credential ctl uses; "status body". */
    private String call(String method, String path, String body) throws Exception {
        LocalCredential cred = LocalCredential.read(dir.resolve("data"));
        String port = env.get("TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND").replaceAll(".*:", "");
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (cred.key() + ":" + cred.secret()).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .timeout(java.time.Duration.ofSeconds(5))
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build();
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** The broker side is not under test here. */
    private static final class NoBroker implements BrokerAdmin {
        public List<ClientInfo> clients() {
            return List.of();
        }

        public Optional<ClientInfo> client(String id) {
            return Optional.empty();
        }

        public boolean kick(String id) {
            return false;
        }

        public List<SubscriptionInfo> subscriptions() {
            return List.of();
        }

        public List<String> topics() {
            return List.of();
        }

        public Map<String, Long> metrics() {
            return Map.of();
        }

        public Map<String, Long> stats() {
            return Map.of();
        }

        public int publish(String topic, byte[] payload, int qos, boolean retain) {
            return 0;
        }
    }
}

package io.trellis.server.testsupport;

import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.NodeName;
import io.trellis.config.TrellisConfig;
import io.trellis.server.Node;
import io.trellis.server.cli.TrellisCommand;
import io.trellis.server.testsupport.NodeApi.Answer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Real nodes in one JVM, each with a ClusterNode (distribution and RPC on 127.0.0.1, random ports),
 * MQTT tcp and the API on random ports, and a home dir {@code <dir>/<name with @ as _>} holding its
 * trellis.conf and data dir. Restarting a name reuses its home, so the node finds its data again.
 * Close it after each test: it disconnects the clients it made and closes every node still up.
 */
public final class InJvmCluster implements AutoCloseable {
    private static final Duration MESH = Duration.ofSeconds(20);

    private final Path dir;
    private final String cookie;
    private final String conf;
    private final Map<String, String> extraEnv;
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, ClusterNode> clusters = new ConcurrentHashMap<>();
    private final List<Mqtt5BlockingClient> clients = new CopyOnWriteArrayList<>();
    private volatile HttpClient http = HttpClient.newHttpClient();

    /**
     * Nodes under {@code dir} sharing {@code cookie}, started with {@code conf} as their trellis.conf
     * unless {@link #start(String, String)} names another, and {@code extraEnv} on top of the
     * loopback, cookie and data dir overrides.
     */
    public InJvmCluster(Path dir, String cookie, String conf, Map<String, String> extraEnv) {
        this.dir = dir;
        this.cookie = cookie;
        this.conf = conf;
        this.extraEnv = Map.copyOf(extraEnv);
    }

    public Path home(String name) {
        return dir.resolve(name.replace('@', '_'));
    }

    public Path dataDir(String name) {
        return home(name).resolve("data");
    }

    /** Every override node {@code name} starts with. */
    public Map<String, String> env(String name) {
        Map<String, String> env = TestNodeEnv.loopback(name, dataDir(name), 0, 0);
        env.put("TRELLIS_NODE__COOKIE", cookie);
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.putAll(extraEnv);
        return env;
    }

    /** Starts node {@code name} with this cluster's config text; not joined to anyone yet. */
    public Node start(String name) throws Exception {
        return start(name, conf);
    }

    /** Starts node {@code name} with {@code confText} as its trellis.conf; not joined to anyone yet. */
    public Node start(String name, String confText) throws Exception {
        Path file = Files.createDirectories(home(name)).resolve("trellis.conf");
        Files.writeString(file, confText);
        Node node = Node.from(TrellisConfig.load(file, env(name)), (s, m, v) -> {
            ClusterNode c = new ClusterNode(s, m, v, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0));
            clusters.put(name, c);
            return c;
        });
        nodes.put(name, node);
        node.start();
        http = HttpClient.newHttpClient(); // no keep-alive connection to a stopped node's API
        return node;
    }

    /** Closes node {@code name}; the others go on (and see it down in their own time). */
    public void stop(String name) {
        nodes.remove(name).close();
    }

    public Node node(String name) {
        return nodes.get(name);
    }

    /** The nodes up now. */
    public List<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    public ClusterNode cluster(String name) {
        return clusters.get(name);
    }

    /** Joins {@code name} to {@code to} and waits until every node up sees every other. */
    public void join(String name, String to) throws Exception {
        clusters.get(name).join(NodeName.parse(to), new InetSocketAddress("127.0.0.1", clusters.get(to).distPort()))
                .get(10, TimeUnit.SECONDS);
        await().atMost(MESH).until(() -> nodes.keySet().stream()
                .allMatch(n -> clusters.get(n).upNodes().size() == nodes.size() - 1));
    }

    /** Waits until node {@code name} sees no other node up. */
    public void awaitAlone(String name) {
        await().atMost(MESH).until(() -> clusters.get(name).upNodes().isEmpty());
    }

    /** Every node running has applied every entry any of them has. */
    public void awaitInSync() {
        await().atMost(MESH).until(() -> {
            long last = nodes.values().stream().mapToLong(n -> n.confLog().lastTnx()).max().orElse(0);
            return nodes.values().stream().allMatch(n -> n.confLog().appliedTnx() == last);
        });
    }

    /** {@code method path} on {@code node}'s API with its local credential; {@code body} a JSON string, an object to serialize, or null. */
    public Answer api(Node node, String method, String path, Object body) throws Exception {
        return NodeApi.call(http, node, method, path, body);
    }

    /** A connected MQTT 5 client of {@code node} ({@code username} without password unless null), disconnected on close. */
    public Mqtt5BlockingClient client(Node node, String clientId, String username) {
        Mqtt5BlockingClient c = MqttProbes.connected(node, clientId, username);
        clients.add(c);
        return c;
    }

    /** What {@code trellis ctl} printed and its exit code. */
    public record CtlRun(int exit, String out, String err) {
    }

    /** {@code trellis ctl ARGS} against node {@code name} as an operator on its host runs it, with {@code stdin} (or none). */
    public CtlRun ctl(String name, String stdin, String... args) {
        Map<String, String> env = Map.of("TRELLIS_CONF", home(name).resolve("trellis.conf").toString(),
                "TRELLIS_NODE__DATA_DIR", dataDir(name).toString(),
                "TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + nodes.get(name).apiAddress().getPort());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        InputStream in = System.in;
        System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = TrellisCommand.run(all, env, new PrintWriter(out, true), new PrintWriter(err, true));
            return new CtlRun(exit, out.toString(), err.toString());
        } finally {
            System.setIn(in);
        }
    }

    /** Closes every node still up, after disconnecting the clients made through {@link #client}. */
    @Override
    public void close() {
        for (Mqtt5BlockingClient c : clients) {
            try {
                c.disconnect();
            } catch (RuntimeException ignored) {
                // its node may be closed already
            }
        }
        clients.clear();
        new ArrayList<>(nodes.values()).forEach(Node::close);
        nodes.clear();
    }
}

package io.trellis.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.cluster.conf.ConfLogCorruptException;
import io.trellis.cluster.conf.ConfTransport;
import io.trellis.cluster.CookiePolicy;
import io.trellis.cluster.PortPlan;
import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.server.api.ApiKeys;
import io.trellis.server.api.ApiServer;
import io.trellis.server.api.LocalCredential;
import io.trellis.server.api.ManagementApi;
import io.trellis.server.api.NodeView;
import io.trellis.server.auth.AuthApi;
import io.trellis.server.auth.AuthzApi;
import io.trellis.server.auth.NodeAuth;
import io.trellis.server.cluster.ClusterControl;
import io.trellis.server.cluster.ClusterFactory;
import io.trellis.server.conf.ClusterConfApi;
import io.trellis.server.node.ListenerSpecs;
import io.trellis.server.node.NodeSettings;
import io.trellis.server.node.NodeStartException;
import io.trellis.server.rules.NodeRules;
import io.trellis.server.rules.RuleEngineSettings;
import io.trellis.server.rules.RulesApi;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import io.trellis.security.ssrf.SsrfPolicy;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Trellis node: the MQTT server and the management API, started from a config file.
 * Lifecycle: {@link #load} or construct, {@link #start()}, {@link #close()} (idempotent). Relative
 * paths (data dir, cert files) resolve against the working directory, which bin/trellis sets to
 * the install directory.
 */
public final class Node implements AutoCloseable, NodeView {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    /** How long a config change waits for the sequencer's answer. */
    private static final java.time.Duration CONF_CHANGE_TIMEOUT = java.time.Duration.ofSeconds(15);

    private final NodeSettings settings;
    private final NodeAuth auth;
    private final RuleEngineSettings ruleSettings;
    private NodeRules rules;
    private final ClusterSettings clusterSettings;
    private final ClusterFactory clusterFactory;
    private MqttServer mqtt;
    private ClusterControl cluster;
    private Cluster clusterImpl;
    private ConfLog confLog;
    private ApiServer api;
    private InetSocketAddress apiAddress;
    private LocalCredential localCredential;
    private long startedAt;
    private boolean closed;

    /** A node that never clusters (no cluster settings): tests of the single node. */
    public Node(NodeSettings settings) {
        this(settings, null, ClusterFactory.standard(), RuleEngineSettings.defaults());
    }

    /** A node that never clusters, with the given rule engine settings. */
    public Node(NodeSettings settings, RuleEngineSettings ruleSettings) {
        this(settings, null, ClusterFactory.standard(), ruleSettings);
    }

    /**
     * @param clusterSettings the cluster keys; null means the node runs alone
     * @param clusterFactory  makes the cluster when clustering is allowed
     */
    public Node(NodeSettings settings, ClusterSettings clusterSettings, ClusterFactory clusterFactory) {
        this(settings, clusterSettings, clusterFactory, RuleEngineSettings.defaults());
    }

    public Node(NodeSettings settings, ClusterSettings clusterSettings, ClusterFactory clusterFactory,
                RuleEngineSettings ruleSettings) {
        this(settings, clusterSettings, clusterFactory, ruleSettings, NodeAuth.allowAll(settings.dataDir()));
    }

    /** @param auth authentication, authorization and bans (NodeAuth.allowAll: anonymous, no authorization) */
    public Node(NodeSettings settings, ClusterSettings clusterSettings, ClusterFactory clusterFactory,
                RuleEngineSettings ruleSettings, NodeAuth auth) {
        this.settings = settings;
        this.auth = auth;
        this.clusterSettings = clusterSettings;
        this.clusterFactory = clusterFactory;
        this.ruleSettings = ruleSettings;
    }

    /** Loads and validates the config (file plus TRELLIS_* overrides from env) into a node not yet started. */
    public static Node load(Path configFile, Map<String, String> env) throws ConfigException {
        return from(TrellisConfig.load(configFile, env), ClusterFactory.standard());
    }

    /** A node of a loaded config, with the cluster made by {@code clusterFactory}. */
    public static Node from(TrellisConfig config, ClusterFactory clusterFactory) throws ConfigException {
        NodeSettings settings = NodeSettings.from(config);
        RuleEngineSettings ruleSettings = RuleEngineSettings.from(config);
        // The auth backends' outbound targets (JWKS, HTTP) obey the same live SSRF policy as the
        // rule engine's connectors: the configured one until the engine runs, then the engine's.
        AtomicReference<Node> self = new AtomicReference<>();
        Supplier<SsrfPolicy> ssrf = () -> {
            Node n = self.get();
            NodeRules r = n == null ? null : n.rules;
            return r != null ? r.policy() : ruleSettings.ssrfPolicy();
        };
        Node node = new Node(settings, ClusterSettings.from(config), clusterFactory, ruleSettings,
                NodeAuth.from(config, settings.dataDir(), ssrf));
        self.set(node);
        return node;
    }

    public NodeSettings settings() {
        return settings;
    }

    /** Authentication, authorization and bans of this node. */
    public NodeAuth auth() {
        return auth;
    }

    /**
     * Opens the MQTT listeners, writes the local API credential and opens the API. On any failure
     * closes what it opened and throws with a message naming the listener or file to fix.
     */
    public synchronized void start() throws NodeStartException {
        ApiKeys keys = apiKeys();
        var specs = ListenerSpecs.build(settings.listeners());
        try {
            mqtt = new MqttServer(settings.broker(), specs);
            mqtt.broker().accessControl(auth.accessControl(mqtt.broker().metrics()));
            mqtt.start();
            startRules();
            startedAt = System.currentTimeMillis();
            cluster = startCluster();
            confLog = openConfLog();
            RulesApi rulesApi = new RulesApi(rules, confLog);
            AuthApi authApi = new AuthApi(auth, new ObjectMapper(), confLog); // users and bans through the log
            AuthzApi authzApi = new AuthzApi(auth, new ObjectMapper(), confLog); // authorization rules too
            confLog.start(clusterImpl instanceof ClusterNode cn ? cn.confTransport() : ConfTransport.alone(confLog.self()));
            localCredential = LocalCredential.generate();
            keys.add(localCredential.key(), localCredential.secret());
            if (settings.apiEnabled()) {
                ManagementApi management = new ManagementApi(this, new ObjectMapper());
                authApi.register(management.router());
                authzApi.register(management.router());
                rulesApi.register(management.router());
                new ClusterConfApi(confLog).register(management.router());
                api = new ApiServer(management, keys);
                apiAddress = api.start(settings.apiBind());
            }
            // Written only once every port is ours: a node that fails to start must not replace
            // the credential of a node already running on the same data dir.
            try {
                localCredential.write(settings.dataDir());
            } catch (IOException e) {
                throw new NodeStartException("cannot write the local API credential "
                        + LocalCredential.file(settings.dataDir()) + ": " + e.getMessage()
                        + " (check node.data_dir and its permissions)", e);
            }
        } catch (IllegalStateException e) {
            close();
            throw new NodeStartException(e.getMessage(), e);
        } catch (NodeStartException | RuntimeException e) {
            close();
            throw e;
        }
        for (BoundListener l : listeners()) {
            LOG.info("listener {} on {}", l.spec().id(), hostPort(l.address()));
        }
        if (apiAddress != null) {
            LOG.info("listener dashboard:http on {}", hostPort(apiAddress));
        }
        LOG.info("node {} started", settings.nodeName());
    }

    /** The rule engine with its persisted state, fed by every publish (see BrokerRules). */
    private void startRules() throws NodeStartException {
        try {
            rules = NodeRules.start(ruleSettings, settings.dataDir(), () -> mqtt.admin());
        } catch (IOException | RuntimeException e) {
            throw new NodeStartException("cannot read the rules state under " + settings.dataDir() + ": " + e.getMessage()
                    + " (fix or move away rules.json in node.data_dir)", e);
        }
        mqtt.installPublishListener(rules.wiring());
    }

    /** The rule engine, or null before start. */
    /**
     * The cluster config log under node.data_dir/cluster-conf: changes made at runtime, replicated
     * in order (etc/trellis.conf stays node-local and read-only). A node alone has one too.
     */
    private ConfLog openConfLog() throws NodeStartException {
        NodeName self = clusterSettings != null ? clusterSettings.node() : NodeName.parse(settings.nodeName());
        Path dir = settings.dataDir().resolve("cluster-conf");
        try {
            return new ConfLog(self, dir, CONF_CHANGE_TIMEOUT);
        } catch (IOException e) {
            throw new NodeStartException("cannot open the cluster config log under " + dir + ": " + e.getMessage()
                    + " (check node.data_dir and its permissions)", e);
        } catch (ConfLogCorruptException e) {
            throw new NodeStartException(e.getMessage(), e);
        }
    }

    /** The cluster config log (null before start). */
    public ConfLog confLog() {
        return confLog;
    }

    public NodeRules rules() {
        return rules;
    }

    /**
     * The cluster when clustering is allowed (not singleton, a usable cookie), else a node alone
     * with the reason, logged once at WARN (the reason never holds the cookie). A clash with a
     * static seed's ports or a port in use stops the node.
     */
    private ClusterControl startCluster() throws NodeStartException {
        if (clusterSettings == null) {
            return ClusterControl.alone(settings.nodeName(), "this node was started without cluster settings");
        }
        CookiePolicy.Decision decision = clusterSettings.clusteringDecision();
        if (!decision.allowed()) {
            LOG.warn("node {} runs alone: {}", settings.nodeName(), decision.reason());
            return ClusterControl.alone(settings.nodeName(), decision.reason());
        }
        List<PortPlan.PortClash> clashes = clusterSettings.portPlan().clashes(clusterSettings.node(), clusterSettings.staticSeeds());
        if (!clashes.isEmpty()) {
            throw new NodeStartException("port clash with a node of cluster.static.seeds: " + clashes.get(0).message());
        }
        Cluster c = clusterFactory.create(clusterSettings, mqtt, Version.current());
        try {
            c.start();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        clusterImpl = c;
        return ClusterControl.of(c);
    }

    private ApiKeys apiKeys() throws NodeStartException {
        ApiKeys keys = new ApiKeys();
        if (settings.apiKeyFile() != null) {
            try {
                for (String[] pair : ApiKeys.parseBootstrapFile(settings.apiKeyFile())) {
                    keys.add(pair[0], pair[1]);
                }
            } catch (ApiKeys.ApiKeyFileException e) {
                throw new NodeStartException(e.getMessage(), e);
            }
        }
        return keys;
    }

    /** The management API's real address, or null if disabled or not started. */
    public InetSocketAddress apiAddress() {
        return apiAddress;
    }

    /** The credential written for this run (tests and ctl use it). */
    public LocalCredential localCredential() {
        return localCredential;
    }

    @Override
    public String nodeName() {
        return settings.nodeName();
    }

    @Override
    public String version() {
        return Version.current();
    }

    @Override
    public long startedAtMillis() {
        return startedAt;
    }

    @Override
    public BrokerAdmin broker() {
        return mqtt.admin();
    }

    @Override
    public ClusterControl cluster() {
        return cluster != null ? cluster : ClusterControl.alone(settings.nodeName(), "the node is not started");
    }

    @Override
    public io.trellis.cluster.transport.TransportSecurity transportSecurity() {
        return clusterSettings == null ? null : clusterSettings.transport();
    }

    @Override
    public List<BoundListener> listeners() {
        return mqtt == null ? List.of() : mqtt.boundListeners();
    }

    public static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Closes the API first so no call sees a half-stopped broker; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (api != null) {
            api.close();
        }
        if (confLog != null) {
            confLog.close();
        }
        if (rules != null) {
            mqtt.installPublishListener(null);
            rules.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (mqtt != null) {
            mqtt.close();
        }
        auth.close();
        if (startedAt > 0) {
            LOG.info("node {} stopped", settings.nodeName());
        }
    }
}

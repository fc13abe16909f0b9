package io.trellis.server.api;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.broker.SubscriptionInfo;
import io.trellis.mqtt.topic.Topics;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The /api/v5 endpoints, with EMQX's paths, query parameters and JSON field names, so tools
 * written for EMQX's management API work against a Trellis node.
 */
public final class ManagementApi {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** EMQX's cluster.name default is "emqxcl"; Trellis has one cluster name until the key exists. */
    static final String CLUSTER_NAME = "trellis";

    private final NodeView node;
    private final ObjectMapper mapper;
    private final PrometheusStats prometheus;
    private final Router router = new Router();

    public ManagementApi(NodeView node, ObjectMapper mapper) {
        this.node = node;
        this.mapper = mapper;
        this.prometheus = new PrometheusStats(node.broker());
        router.add(GET, "/api/v5/status", this::status)
                .add(GET, "/api/v5/nodes", r -> ApiResponse.ok(nodesJson()))
                .add(GET, "/api/v5/cluster", r -> ApiResponse.ok(clusterJson()))
                .add(PUT, "/api/v5/cluster/{node}/invite", r -> join(r.pathParam("node")))
                .add(POST, "/api/v5/cluster/join", r -> join(nodeField(r)))
                .add(POST, "/api/v5/cluster/leave", r -> leave())
                .add(DELETE, "/api/v5/cluster/{node}/force_leave", this::forceLeave)
                .add(GET, "/api/v5/cluster/ports", r -> ApiResponse.ok(portsJson()))
                .add(POST, "/api/v5/cluster/certs/reload", r -> reloadCerts())
                .add(GET, "/api/v5/nodes/{node}", this::oneNode)
                .add(GET, "/api/v5/clients", this::clients)
                .add(GET, "/api/v5/clients/{clientid}", this::oneClient)
                .add(DELETE, "/api/v5/clients/{clientid}", this::kick)
                .add(GET, "/api/v5/clients/{clientid}/subscriptions", this::clientSubscriptions)
                .add(GET, "/api/v5/subscriptions", this::subscriptions)
                .add(GET, "/api/v5/topics", this::topics)
                .add(GET, "/api/v5/metrics", r -> perNode(r, node.broker().metrics()))
                .add(GET, "/api/v5/stats", r -> perNode(r, node.broker().stats()))
                .add(GET, "/api/v5/listeners", r -> ApiResponse.ok(listenersJson()))
                .add(POST, "/api/v5/publish", this::publish)
                .add(GET, "/api/v5/prometheus/stats", r -> ApiResponse.text(HttpResponseStatus.OK,
                        "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape()));
    }

    public Router router() {
        return router;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** EMQX answers plain text unless ?format=json. */
    private ApiResponse status(ApiRequest r) {
        if ("json".equals(r.queryParam("format"))) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("node_name", node.nodeName());
            body.put("rel_vsn", node.version());
            body.put("broker_status", "started");
            body.put("app_status", "running");
            return ApiResponse.ok(body);
        }
        return ApiResponse.text(HttpResponseStatus.OK, "text/plain; charset=utf-8",
                "Node " + node.nodeName() + " is started\ntrellis is running");
    }

    private ApiResponse oneNode(ApiRequest r) {
        return nodesJson().stream().filter(n -> n.get("node").equals(r.pathParam("node"))).findFirst()
                .map(ApiResponse::ok)
                .orElseThrow(() -> ApiException.notFound("NOT_FOUND", "node " + r.pathParam("node") + " is not in this cluster"));
    }

    /** This node in full, then every other known node with what the cluster knows of it. */
    List<Map<String, Object>> nodesJson() {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> self = nodeJson();
        out.add(self);
        java.util.Set<io.trellis.cluster.NodeName> heldApart = node.cluster().partitioned();
        for (Cluster.NodeStatus s : node.cluster().nodes()) {
            if (s.node().toString().equals(node.nodeName())) {
                self.put("dist_port", s.distPort());
                self.put("rpc_port", s.rpcPort());
                continue;
            }
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("node", s.node().toString());
            n.put("node_status", s.running() ? "running" : "stopped");
            n.put("version", s.version());
            n.put("uptime", s.uptimeMs() < 0 ? null : s.uptimeMs());
            n.put("dist_port", s.distPort());
            n.put("rpc_port", s.rpcPort());
            // Trellis-specific: reachable but held apart after a partition (cluster.autoheal = false).
            n.put("partitioned", heldApart.contains(s.node()));
            out.add(n);
        }
        return out;
    }

    /**
     * Trellis-specific: re-reads the inter-node TLS files (rpc.*, cluster.ssl_dist.*) and swaps
     * them in for new connections once all are valid. 400 names the bad file; the old material stays.
     */
    private ApiResponse reloadCerts() {
        TransportSecurity tls = node.transportSecurity();
        List<String> channels = new ArrayList<>();
        if (tls != null && tls.rpc().enabled()) {
            channels.add("rpc");
        }
        if (tls != null && tls.dist().enabled()) {
            channels.add("distribution");
        }
        if (channels.isEmpty()) {
            throw ApiException.badRequest("no inter-node TLS to reload: set rpc.driver = ssl and/or cluster.proto_dist = inet_tls");
        }
        try {
            tls.reload();
        } catch (TlsConfigException e) {
            throw ApiException.badRequest("certificates not reloaded, the previous ones stay in use: " + e.getMessage());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reloaded", channels);
        body.put("provider", TlsContexts.provider().toString());
        return ApiResponse.ok(body);
    }

    /** EMQX's GET /api/v5/cluster: name and member names; Trellis adds whether and why not it clusters. */
    private Map<String, Object> clusterJson() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", CLUSTER_NAME);
        body.put("self", node.nodeName());
        body.put("nodes", nodesJson().stream().map(n -> n.get("node")).toList());
        body.put("clustering", node.cluster().clustered());
        body.put("partitioned", node.cluster().partitioned().stream().map(Object::toString).toList());
        if (!node.cluster().clustered()) {
            body.put("reason", node.cluster().aloneReason());
        }
        return body;
    }

    private String nodeField(ApiRequest r) {
        JsonNode peer = parseJson(r.body()).get("node");
        if (peer == null || !peer.isTextual() || peer.asText().isEmpty()) {
            throw ApiException.badRequest("body needs \"node\": the name of a node of the cluster to join, e.g. {\"node\": \"trellis1@10.0.0.1\"}");
        }
        return peer.asText();
    }

    /**
     * Joins the cluster of {@code peer}. Also serves EMQX's PUT /cluster/{node}/invite: in a full
     * mesh "peer joins us" and "we join peer" make the same cluster. 400 with the reason
     * ("cookie mismatch", unreachable, clustering refused) on failure.
     */
    private ApiResponse join(String peer) {
        try {
            node.cluster().join(peer);
        } catch (ClusterJoinException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "BAD_REQUEST", e.getMessage());
        }
        return ApiResponse.ok(clusterJson());
    }

    private ApiResponse leave() {
        try {
            node.cluster().leave();
        } catch (ClusterJoinException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "BAD_REQUEST", e.getMessage());
        }
        return ApiResponse.noContent();
    }

    private ApiResponse forceLeave(ApiRequest r) {
        String peer = r.pathParam("node");
        boolean removed;
        try {
            removed = node.cluster().forceLeave(peer);
        } catch (ClusterJoinException e) {
            throw new ApiException(HttpResponseStatus.BAD_REQUEST, "BAD_REQUEST", e.getMessage());
        }
        if (!removed) {
            throw ApiException.notFound("NOT_FOUND", "node " + peer + " is not in this cluster");
        }
        return ApiResponse.noContent();
    }

    /**
     * Trellis-specific (EMQX has no such endpoint): every port this node listens on and dials, the
     * table an operator writes firewall rules from.
     */
    List<Map<String, Object>> portsJson() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (BoundListener l : node.listeners()) {
            String protocol = l.spec().type().tls() ? "tls" : "tcp";
            out.add(portRow("listen", l.address().getHostString(), l.port(), protocol,
                    "MQTT " + (l.spec().type().websocket() ? "over WebSocket " : "") + "(listeners." + l.spec().type().id()
                            + "." + l.spec().name() + ")", null));
        }
        if (node.apiAddress() != null) {
            out.add(portRow("listen", node.apiAddress().getHostString(), node.apiAddress().getPort(), "tcp",
                    "management API (dashboard.listeners.http)", null));
        }
        for (Cluster.PortInfo p : node.cluster().ports()) {
            out.add(portRow(p.direction(), p.address(), p.port(), p.protocol(), p.purpose(), p.peer()));
        }
        return out;
    }

    private static Map<String, Object> portRow(String direction, String address, int port, String protocol, String purpose,
                                               String peer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("direction", direction);
        m.put("address", address);
        m.put("port", port);
        m.put("protocol", protocol);
        m.put("purpose", purpose);
        m.put("peer", peer);
        return m;
    }

    Map<String, Object> nodeJson() {
        Runtime rt = Runtime.getRuntime();
        Map<String, Long> stats = node.broker().stats();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("node", node.nodeName());
        n.put("node_status", "running");
        n.put("version", node.version());
        n.put("edition", "Trellis");
        n.put("role", "core");
        n.put("uptime", System.currentTimeMillis() - node.startedAtMillis());
        n.put("connections", stats.getOrDefault("connections.count", 0L));
        n.put("live_connections", stats.getOrDefault("live_connections.count", 0L));
        n.put("memory_total", rt.totalMemory());
        n.put("memory_used", rt.totalMemory() - rt.freeMemory());
        n.put("load1", Math.max(0, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        n.put("java_version", System.getProperty("java.version"));
        return n;
    }

    /** EMQX's filters: clientid, username, ip_address, conn_state, proto_ver, like_clientid, like_username. */
    private ApiResponse clients(ApiRequest r) {
        String clientId = r.queryParam("clientid");
        String username = r.queryParam("username");
        String ip = r.queryParam("ip_address");
        String connState = r.queryParam("conn_state");
        if (connState != null && !connState.equals("connected") && !connState.equals("disconnected")) {
            throw ApiException.badRequest("conn_state must be connected or disconnected");
        }
        String protoVer = r.queryParam("proto_ver");
        String likeClientId = r.queryParam("like_clientid");
        String likeUsername = r.queryParam("like_username");
        Predicate<ClientInfo> filter = c -> (clientId == null || clientId.equals(c.clientId()))
                && (username == null || username.equals(c.username()))
                && (ip == null || ip.equals(c.ipAddress()))
                && (connState == null || c.connected() == connState.equals("connected"))
                && (protoVer == null || protoVer.equals(String.valueOf(c.protoVer())))
                && (likeClientId == null || c.clientId().contains(likeClientId))
                && (likeUsername == null || (c.username() != null && c.username().contains(likeUsername)));
        List<Object> rows = node.broker().clients().stream().filter(filter).map(c -> (Object) clientJson(c)).toList();
        return page(r, rows);
    }

    private ApiResponse oneClient(ApiRequest r) {
        return node.broker().client(r.pathParam("clientid"))
                .map(c -> ApiResponse.ok(clientJson(c)))
                .orElseThrow(() -> clientNotFound());
    }

    private ApiResponse kick(ApiRequest r) {
        if (!node.broker().kick(r.pathParam("clientid"))) {
            throw clientNotFound();
        }
        return ApiResponse.noContent();
    }

    private ApiResponse clientSubscriptions(ApiRequest r) {
        String clientId = r.pathParam("clientid");
        if (node.broker().client(clientId).isEmpty()) {
            throw clientNotFound();
        }
        return ApiResponse.ok(node.broker().subscriptions().stream()
                .filter(s -> clientId.equals(s.clientId())).map(this::subscriptionJson).toList());
    }

    private ApiResponse subscriptions(ApiRequest r) {
        String clientId = r.queryParam("clientid");
        String topic = r.queryParam("topic");
        String matchTopic = r.queryParam("match_topic");
        int qos = r.intParam("qos", -1, 0, 2);
        List<Object> rows = node.broker().subscriptions().stream()
                .filter(s -> (clientId == null || clientId.equals(s.clientId()))
                        && (topic == null || topic.equals(s.topic()))
                        && (qos < 0 || qos == s.qos())
                        && (matchTopic == null || Topics.matches(unshared(s.topic()), matchTopic)))
                .map(s -> (Object) subscriptionJson(s)).toList();
        return page(r, rows);
    }

    /** The filter without its $share/group/ or $queue/ prefix. */
    static String unshared(String filter) {
        if (filter.startsWith("$share/")) {
            int slash = filter.indexOf('/', "$share/".length());
            return slash < 0 ? filter : filter.substring(slash + 1);
        }
        return filter.startsWith("$queue/") ? filter.substring("$queue/".length()) : filter;
    }

    private ApiResponse topics(ApiRequest r) {
        String topic = r.queryParam("topic");
        List<Object> rows = node.broker().topics().stream()
                .filter(t -> topic == null || topic.equals(t))
                .map(t -> (Object) Map.of("topic", t, "node", node.nodeName())).toList();
        return page(r, rows);
    }

    /** EMQX's /metrics and /stats: a list with one object per node, or one object with ?aggregate=true. */
    private ApiResponse perNode(ApiRequest r, Map<String, Long> values) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (!"true".equals(r.queryParam("aggregate"))) {
            body.put("node", node.nodeName());
        }
        new java.util.TreeMap<>(values).forEach(body::put);
        return ApiResponse.ok("true".equals(r.queryParam("aggregate")) ? body : List.of(body));
    }

    private List<Map<String, Object>> listenersJson() {
        List<ClientInfo> clients = node.broker().clients();
        List<Map<String, Object>> out = new ArrayList<>();
        for (BoundListener l : node.listeners()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", l.spec().id());
            m.put("type", l.spec().type().id());
            m.put("name", l.spec().name());
            m.put("bind", l.address().getHostString() + ":" + l.port());
            m.put("enable", true);
            m.put("running", true);
            m.put("max_connections", l.spec().maxConnections() == Integer.MAX_VALUE
                    ? "infinity" : l.spec().maxConnections());
            m.put("current_connections", clients.stream()
                    .filter(c -> c.connected() && l.spec().id().equals(c.listener())).count());
            if (l.spec().type().websocket()) {
                m.put("websocket", Map.of("mqtt_path", l.spec().wsPath()));
            }
            out.add(m);
        }
        return out;
    }

    private ApiResponse publish(ApiRequest r) {
        JsonNode body = parseJson(r.body());
        JsonNode topicNode = body.get("topic");
        if (topicNode == null || !topicNode.isTextual() || topicNode.asText().isEmpty()) {
            throw ApiException.badRequest("body needs \"topic\": a non-empty string without wildcards");
        }
        String topic = topicNode.asText();
        if (topic.contains("+") || topic.contains("#")) {
            throw ApiException.badRequest("topic " + topic + " holds a wildcard; publish to a concrete topic");
        }
        int qos = body.path("qos").asInt(0);
        if (!body.path("qos").isMissingNode() && (!body.get("qos").isInt() || qos < 0 || qos > 2)) {
            throw ApiException.badRequest("\"qos\" must be 0, 1 or 2");
        }
        JsonNode retainNode = body.path("retain");
        if (!retainNode.isMissingNode() && !retainNode.isBoolean()) {
            throw ApiException.badRequest("\"retain\" must be true or false");
        }
        String payloadText = body.path("payload").asText("");
        byte[] payload;
        String encoding = body.path("payload_encoding").asText("plain");
        if ("base64".equals(encoding)) {
            try {
                payload = Base64.getDecoder().decode(payloadText);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("\"payload\" is not base64 although payload_encoding is base64");
            }
        } else if ("plain".equals(encoding)) {
            payload = payloadText.getBytes(StandardCharsets.UTF_8);
        } else {
            throw ApiException.badRequest("\"payload_encoding\" must be plain or base64");
        }
        int receivers;
        try {
            receivers = node.broker().publish(topic, payload, qos, retainNode.asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("cannot publish to " + topic + ": " + e.getMessage());
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        if (receivers == 0) {
            // EMQX: 202 with reason code 16 when nobody is subscribed.
            return ApiResponse.json(HttpResponseStatus.ACCEPTED,
                    Map.of("id", HexFormat.of().formatHex(id), "reason_code", 16, "message", "no_matching_subscribers"));
        }
        return ApiResponse.ok(Map.of("id", HexFormat.of().formatHex(id)));
    }

    private JsonNode parseJson(byte[] body) {
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the body could not be read");
        }
    }

    private ApiResponse page(ApiRequest r, List<Object> rows) {
        int page = r.intParam("_page", 1, 1, Integer.MAX_VALUE);
        int limit = r.intParam("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        long from = (long) (page - 1) * limit;
        List<Object> data = from >= rows.size() ? List.of()
                : rows.subList((int) from, (int) Math.min(rows.size(), from + limit));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("page", page);
        meta.put("limit", limit);
        meta.put("count", rows.size());
        meta.put("hasnext", from + limit < rows.size());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", data);
        body.put("meta", meta);
        return ApiResponse.ok(body);
    }

    Map<String, Object> clientJson(ClientInfo c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clientid", c.clientId());
        m.put("username", c.username());
        m.put("ip_address", c.ipAddress());
        m.put("port", c.port());
        m.put("node", node.nodeName());
        m.put("listener", c.listener());
        m.put("connected", c.connected());
        m.put("proto_name", c.protoName());
        m.put("proto_ver", c.protoVer());
        m.put("keepalive", c.keepalive());
        m.put("clean_start", c.cleanStart());
        m.put("expiry_interval", c.expiryInterval());
        m.put("connected_at", rfc3339(c.connectedAt()));
        if (!c.connected() && c.disconnectedAt() > 0) {
            m.put("disconnected_at", rfc3339(c.disconnectedAt()));
        }
        m.put("subscriptions_cnt", c.subscriptionsCnt());
        m.put("inflight_cnt", c.inflightCnt());
        m.put("mqueue_len", c.mqueueLen());
        m.put("mqueue_dropped", c.mqueueDropped());
        m.put("recv_msg", c.recvMsg());
        m.put("send_msg", c.sendMsg());
        return m;
    }

    Map<String, Object> subscriptionJson(SubscriptionInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clientid", s.clientId());
        m.put("topic", s.topic());
        m.put("qos", s.qos());
        m.put("node", node.nodeName());
        m.put("nl", s.noLocal() ? 1 : 0);
        m.put("rap", s.retainAsPublished() ? 1 : 0);
        m.put("rh", s.retainHandling());
        return m;
    }

    /** EMQX's timestamps: RFC 3339 with milliseconds and the offset, e.g. 2024-01-01T10:00:00.123+00:00. */
    static String rfc3339(long epochMillis) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx")
                .format(Instant.ofEpochMilli(epochMillis).truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC));
    }

    private static ApiException clientNotFound() {
        return ApiException.notFound("CLIENTID_NOT_FOUND", "Client ID not found");
    }
}

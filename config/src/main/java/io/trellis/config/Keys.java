package io.trellis.config;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every configuration key of a single node, defined once: path, type, default, checks, doc,
 * secrecy. The reference (docs/config-reference.md), the example etc/trellis.conf, loading and
 * environment overrides all follow from this list. Keys with a {@code {name}} segment belong to
 * named instances (listeners.tcp.default, listeners.tcp.internal, ...).
 *
 * <p>"infinity" where accepted: durations -> {@link #INFINITY}; counts -> {@link #UNLIMITED};
 * sizes -> {@link #UNLIMITED_BYTES}.
 */
public final class Keys {
    private static final List<KeyDef<?>> ALL = new ArrayList<>();

    /** "infinity" for durations: no limit. Equal to BrokerSettings.INFINITY. */
    public static final Duration INFINITY = Duration.ofSeconds(Long.MAX_VALUE);
    /** "infinity" for counts (connections, queue lengths). */
    public static final int UNLIMITED = Integer.MAX_VALUE;
    /** "infinity" for byte sizes. */
    public static final long UNLIMITED_BYTES = Long.MAX_VALUE;
    /** The largest MQTT packet the protocol can express (variable byte integer), 256MB - 1. */
    public static final long MQTT_PACKET_LIMIT = 268_435_455L;

    /** The instance every listener type has, with the EMQX default port. */
    public static final String DEFAULT_INSTANCE = "default";

    /** name@host, as node.name and cluster.static.seeds accept it (the cluster module checks the host). */
    private static final String NODE_NAME_REGEX = "[A-Za-z0-9_-]+@[^\\s@]+";
    /** An IPv4 or IPv6 literal, no DNS name: binding never waits on DNS. */
    private static final String IP_LITERAL_REGEX = "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3})|([0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)";

    private static final List<String> LOG_LEVELS =
            List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency", "none");

    // ---- node -------------------------------------------------------------------------------

    public static final KeyDef<String> NODE_NAME = string("node.name", NODE_NAME_REGEX, "name@host, e.g. trellis@10.0.0.1")
            .byDefault("trellis@127.0.0.1").doc("This node's name, name@host. Peers reach it by host; the trailing digits of name give its cluster port offset.");
    public static final KeyDef<Path> NODE_DATA_DIR = path("node.data_dir")
            .byDefault("data").doc("Directory for the node's persistent state; a relative path is relative to the install directory (the working directory).");
    public static final KeyDef<Secret> NODE_COOKIE = secret("node.cookie")
            .check(s -> !s.isEmpty(), "the cookie is empty", "write a long random string")
            .check(s -> s.reveal().getBytes(StandardCharsets.UTF_8).length <= 255, "the cookie is longer than 255 bytes", "write a shorter random string")
            .check(s -> !s.reveal().matches("(?s).*['\"\\\\\\s].*"), "the cookie contains a quote, a backslash or whitespace", "use letters, digits and punctuation other than quotes and backslashes")
            .doc("Shared secret that authenticates cluster peers; every node of a cluster needs the same one, and clustering needs it set. file:///path reads it from a file.");

    public static final KeyDef<Path> NODE_SSL_DIST_OPTFILE = path("node.ssl_dist_optfile")
            .byDefault("etc/ssl_dist.conf").doc("With cluster.proto_dist = inet_tls / inet6_tls: file of distribution TLS options, read if present."
                    + " EMQX writes this file in Erlang term format; Trellis reads HOCON with the keys of cluster.ssl_dist at top level"
                    + " (certfile = ..., keyfile = ..., cacertfile = ..., verify = verify_peer, ...), which override the cluster.ssl_dist block.");
    public static final KeyDef<String> NODE_DIST_BIND_ADDRESS = ipAddress("node.dist_bind_address")
            .byDefault("0.0.0.0").doc("Interface the distribution channel (port 4370 + N) listens on; with cluster.proto_dist = inet6_tcp the default means :: (every IPv6 interface).");

    // ---- cluster ----------------------------------------------------------------------------

    public static final KeyDef<String> CLUSTER_DISCOVERY_STRATEGY = oneOf("cluster.discovery_strategy", "manual", "static", "dns", "singleton")
            .byDefault("manual").doc("How nodes find each other: manual (ctl cluster join), static (cluster.static.seeds), dns (cluster.dns.*), singleton (never cluster).");
    public static final KeyDef<List<String>> CLUSTER_STATIC_SEEDS = key("cluster.static.seeds", ValueTypes.stringList(null))
            .check(seeds -> seeds.stream().allMatch(s -> s.matches(NODE_NAME_REGEX)), "a seed is not a node name", "write each seed as name@host, e.g. [\"trellis1@10.0.0.1\"]")
            .byDefault("").doc("With discovery_strategy = static: the nodes to join, name@host each.");
    public static final KeyDef<String> CLUSTER_DNS_NAME = string("cluster.dns.name", "[A-Za-z0-9.-]*", "a DNS name, e.g. trellis.example.com")
            .byDefault("localhost").doc("With discovery_strategy = dns: the DNS name whose records list the nodes.");
    public static final KeyDef<String> CLUSTER_DNS_RECORD_TYPE = oneOf("cluster.dns.record_type", "a", "aaaa", "srv")
            .byDefault("a").doc("With discovery_strategy = dns: which records of cluster.dns.name give the peers' hosts (a, aaaa) or hosts and names (srv).");
    public static final KeyDef<List<String>> CLUSTER_DNS_SERVERS = key("cluster.dns.servers", ValueTypes.stringList(null))
            .check(servers -> servers.stream().allMatch(Keys::isDnsServer), "an entry is not an IP address with an optional port",
                    "write each server as an IP address, optionally with a port: [\"10.0.0.2\", \"127.0.0.1:8600\", \"[fd00::53]:53\"]")
            .byDefault("").doc("With discovery_strategy = dns: the DNS servers to ask (IP or IP:port, port 53 by default), in order;"
                    + " empty = the system's (/etc/resolv.conf). Set it when the names are served by a DNS server the system does not use,"
                    + " e.g. Consul's DNS on port 8600. Host names of SRV targets are resolved through the same servers when nodes dial each other."
                    + " Trellis's own key: EMQX takes these from Erlang's inetrc instead.");
    public static final KeyDef<Duration> CLUSTER_AUTOCLEAN = duration("cluster.autoclean").word("infinity", INFINITY)
            .byDefault("24h").doc("A node down longer than this is removed from the cluster; infinity = never.");
    public static final KeyDef<Boolean> CLUSTER_AUTOHEAL = bool("cluster.autoheal")
            .byDefault("true").doc("When a network partition ends (both sides saw each other down, neither restarted): true merges them at once: "
                    + "routes, share groups and retained messages (the newest change wins) are exchanged, and a client id connected on both "
                    + "sides keeps its later connection (the other node disconnects its client, MQTT 5 reason 0x8E). false keeps the sides "
                    + "apart (connected, but nothing exchanged or forwarded; the config log still catches up), logs it, shows the peers as "
                    + "partitioned in ctl cluster status, until ctl cluster join <a node of the other side> merges them. Either way only "
                    + "within cluster.autoclean: a peer down longer is forgotten and needs ctl cluster join. Give every node the same value.");
    public static final KeyDef<String> CLUSTER_PROTO_DIST = oneOf("cluster.proto_dist", "inet_tcp", "inet6_tcp", "inet_tls", "inet6_tls")
            .byDefault("inet_tcp").doc("Transport of the distribution channel: TCP over IPv4 (inet_tcp) or IPv6 (inet6_tcp), or TLS over either (inet_tls, inet6_tls; options in cluster.ssl_dist or node.ssl_dist_optfile).");
    public static final KeyDef<Duration> CLUSTER_HEARTBEAT_INTERVAL = duration("cluster.heartbeat_interval")
            .check(d -> d.toMillis() >= 100, "the interval is shorter than 100ms", "write at least 100ms")
            .byDefault("1s").doc("How often a node sends a heartbeat to each peer over distribution (Trellis's own key; EMQX has a 60s tick instead).");
    public static final KeyDef<Duration> CLUSTER_NODE_DOWN_TIMEOUT = duration("cluster.node_down_timeout")
            .check(d -> d.toMillis() >= 300, "the timeout is shorter than 300ms", "write at least 3 heartbeat intervals, e.g. 10s")
            .byDefault("10s").doc("A peer silent this long is declared down and its routes dropped; at least 3 x heartbeat_interval. A closed connection is noticed at once.");

    // cluster.ssl_dist: the distribution channel's TLS options (the same keys as rpc's), used with proto_dist = inet_tls / inet6_tls.
    public static final KeyDef<Path> CLUSTER_SSL_DIST_CERTFILE = clusterCertfile("cluster.ssl_dist", "");
    public static final KeyDef<Path> CLUSTER_SSL_DIST_KEYFILE = clusterKeyfile("cluster.ssl_dist", "");
    public static final KeyDef<Path> CLUSTER_SSL_DIST_CACERTFILE = clusterCacertfile("cluster.ssl_dist", "");
    public static final KeyDef<Secret> CLUSTER_SSL_DIST_PASSWORD = secret("cluster.ssl_dist.password")
            .doc("Password of an encrypted cluster.ssl_dist.keyfile; unset for a plain key. file:///path reads it from a file.");
    public static final KeyDef<String> CLUSTER_SSL_DIST_VERIFY = clusterVerify("cluster.ssl_dist");
    public static final KeyDef<Boolean> CLUSTER_SSL_DIST_FAIL_IF_NO_PEER_CERT = clusterFailIfNoPeerCert("cluster.ssl_dist");
    public static final KeyDef<List<String>> CLUSTER_SSL_DIST_TLS_VERSIONS = clusterTlsVersions("cluster.ssl_dist");
    public static final KeyDef<List<String>> CLUSTER_SSL_DIST_CIPHERS = clusterCiphers("cluster.ssl_dist");
    public static final KeyDef<Boolean> CLUSTER_SSL_DIST_VERIFY_PEER_HOST = clusterVerifyPeerHost("cluster.ssl_dist");

    // ---- rpc --------------------------------------------------------------------------------

    public static final KeyDef<String> RPC_PORT_DISCOVERY = oneOf("rpc.port_discovery", "stateless", "manual")
            .byDefault("stateless").doc("stateless: cluster RPC listens on 5370 + N; manual: every node listens on rpc.server_port (one node per host).");
    public static final KeyDef<Integer> RPC_SERVER_PORT = integer("rpc.server_port", 1, 65535)
            .byDefault("5369").doc("Cluster RPC port of every node when port_discovery = manual.");
    public static final KeyDef<String> RPC_LISTEN_ADDRESS = ipAddress("rpc.listen_address")
            .byDefault("0.0.0.0").doc("Interface the cluster RPC channel listens on; :: for every IPv6 interface.");
    public static final KeyDef<Boolean> RPC_IPV6_ONLY = bool("rpc.ipv6_only")
            .byDefault("false").doc("Whether cluster RPC connects to and listens on IPv6 only.");
    public static final KeyDef<Integer> RPC_CLIENT_NUM = integer("rpc.client_num", 1, 256)
            .byDefault("10").doc("Connections to each peer for forwarding; a message's connection is picked by hash of its topic, so per-topic order holds.");
    public static final KeyDef<Duration> RPC_CONNECT_TIMEOUT = duration("rpc.connect_timeout")
            .byDefault("5s").doc("How long to wait for a TCP connection to a peer.");
    public static final KeyDef<Duration> RPC_SEND_TIMEOUT = duration("rpc.send_timeout")
            .byDefault("5s").doc("How long a send to a peer may block before it fails.");
    public static final KeyDef<Duration> RPC_AUTHENTICATION_TIMEOUT = duration("rpc.authentication_timeout")
            .byDefault("5s").doc("A peer that has not completed the cookie handshake within this long is cut off (both channels).");
    public static final KeyDef<Duration> RPC_CALL_RECEIVE_TIMEOUT = duration("rpc.call_receive_timeout")
            .byDefault("15s").doc("How long to wait for the answer to a call to a peer.");
    public static final KeyDef<Duration> RPC_SOCKET_KEEPALIVE_IDLE = duration("rpc.socket_keepalive_idle")
            .byDefault("15m").doc("TCP keepalive: idle time before the first probe.");
    public static final KeyDef<Duration> RPC_SOCKET_KEEPALIVE_INTERVAL = duration("rpc.socket_keepalive_interval")
            .byDefault("75s").doc("TCP keepalive: time between probes.");
    public static final KeyDef<Integer> RPC_SOCKET_KEEPALIVE_COUNT = integer("rpc.socket_keepalive_count", 1, 127)
            .byDefault("9").doc("TCP keepalive: unanswered probes before the connection is closed.");

    public static final KeyDef<String> RPC_DRIVER = oneOf("rpc.driver", "tcp", "ssl")
            .byDefault("tcp").doc("Transport of the cluster RPC channel: tcp, or ssl (TLS with the rpc.certfile / keyfile / cacertfile options). EMQX's alias rpc.protocol is accepted too.");
    public static final KeyDef<String> RPC_PROTOCOL = string("rpc.protocol", "(tcp|ssl)?", "tcp, ssl or empty")
            .byDefault("").doc("EMQX's older name of rpc.driver; when set it gives the driver, and it must agree with rpc.driver if both are set to ssl/tcp explicitly. Empty = use rpc.driver.");
    public static final KeyDef<Path> RPC_CERTFILE = clusterCertfile("rpc", "etc/certs/cluster/node.pem");
    public static final KeyDef<Path> RPC_KEYFILE = clusterKeyfile("rpc", "etc/certs/cluster/node.key");
    public static final KeyDef<Path> RPC_CACERTFILE = clusterCacertfile("rpc", "etc/certs/cluster/ca.pem");
    public static final KeyDef<Secret> RPC_PASSWORD = secret("rpc.password")
            .doc("Password of an encrypted rpc.keyfile; unset for a plain key. file:///path reads it from a file.");
    public static final KeyDef<String> RPC_VERIFY = clusterVerify("rpc");
    public static final KeyDef<Boolean> RPC_FAIL_IF_NO_PEER_CERT = clusterFailIfNoPeerCert("rpc");
    public static final KeyDef<List<String>> RPC_TLS_VERSIONS = clusterTlsVersions("rpc");
    public static final KeyDef<List<String>> RPC_CIPHERS = clusterCiphers("rpc");
    public static final KeyDef<Boolean> RPC_VERIFY_PEER_HOST = clusterVerifyPeerHost("rpc");

    // ---- mqtt -------------------------------------------------------------------------------

    public static final KeyDef<Long> MQTT_MAX_PACKET_SIZE = bytes("mqtt.max_packet_size", 1, MQTT_PACKET_LIMIT)
            .byDefault("1MB").doc("Largest MQTT packet accepted from or sent to a client. At most 268435455 bytes (the MQTT limit).");
    public static final KeyDef<Integer> MQTT_MAX_CLIENTID_LEN = integer("mqtt.max_clientid_len", 23, 65535)
            .byDefault("65535").doc("Longest client identifier accepted.");
    public static final KeyDef<Integer> MQTT_MAX_TOPIC_LEVELS = integer("mqtt.max_topic_levels", 1, 65535)
            .byDefault("128").doc("Most levels (a/b/c = 3) a topic name or filter may have.");
    public static final KeyDef<Integer> MQTT_MAX_QOS_ALLOWED = integer("mqtt.max_qos_allowed", 0, 2)
            .byDefault("2").doc("Highest QoS the broker grants; higher requests are downgraded.");
    public static final KeyDef<Integer> MQTT_MAX_TOPIC_ALIAS = integer("mqtt.max_topic_alias", 0, 65535)
            .byDefault("65535").doc("Topic Alias Maximum announced to MQTT 5 clients; 0 disables topic aliases.");
    public static final KeyDef<Boolean> MQTT_RETAIN_AVAILABLE = bool("mqtt.retain_available")
            .byDefault("true").doc("Whether retained messages are supported.");
    public static final KeyDef<Boolean> MQTT_WILDCARD_SUBSCRIPTION = bool("mqtt.wildcard_subscription")
            .byDefault("true").doc("Whether subscriptions may use + and # wildcards.");
    public static final KeyDef<Boolean> MQTT_SHARED_SUBSCRIPTION = bool("mqtt.shared_subscription")
            .byDefault("true").doc("Whether $share/group/topic subscriptions are supported.");
    public static final KeyDef<Boolean> MQTT_IGNORE_LOOP_DELIVER = bool("mqtt.ignore_loop_deliver")
            .byDefault("false").doc("Whether a client's own messages are kept from being delivered back to it (MQTT 3.x; MQTT 5 has No Local).");
    public static final KeyDef<Duration> MQTT_IDLE_TIMEOUT = duration("mqtt.idle_timeout").word("infinity", INFINITY)
            .byDefault("15s").doc("How long a new connection may stay without sending CONNECT before it is closed.");
    public static final KeyDef<Double> MQTT_KEEPALIVE_MULTIPLIER = decimal("mqtt.keepalive_multiplier", 1.0, 100.0)
            .byDefault("1.5").doc("A client is disconnected after keepalive x this multiplier without a packet.");
    public static final KeyDef<Integer> MQTT_SERVER_KEEPALIVE = integer("mqtt.server_keepalive", 1, 65535).word("disabled", 0)
            .byDefault("disabled").doc("Keepalive in seconds imposed on MQTT 5 clients (a bare number is seconds); disabled = use the client's.");
    public static final KeyDef<Duration> MQTT_SESSION_EXPIRY_INTERVAL = duration("mqtt.session_expiry_interval").word("infinity", INFINITY)
            .byDefault("2h").doc("How long a disconnected persistent session (clean_session = false) is kept; caps what MQTT 5 clients ask for.");
    public static final KeyDef<Integer> MQTT_MAX_INFLIGHT = integer("mqtt.max_inflight", 1, 65535)
            .byDefault("32").doc("Most QoS 1 and 2 messages in flight to one client, unacknowledged.");
    public static final KeyDef<Duration> MQTT_RETRY_INTERVAL = duration("mqtt.retry_interval").word("infinity", INFINITY)
            .byDefault("30s").doc("How long to wait for an acknowledgement before resending a QoS 1 or 2 message; infinity = never resend.");
    public static final KeyDef<Integer> MQTT_MAX_AWAITING_REL = integer("mqtt.max_awaiting_rel", 1, 65535).word("infinity", UNLIMITED)
            .byDefault("100").doc("Most incoming QoS 2 messages awaiting PUBREL from one client.");
    public static final KeyDef<Duration> MQTT_AWAIT_REL_TIMEOUT = duration("mqtt.await_rel_timeout").word("infinity", INFINITY)
            .byDefault("300s").doc("How long an incoming QoS 2 message waits for PUBREL before it is dropped.");
    public static final KeyDef<Integer> MQTT_MAX_MQUEUE_LEN = integer("mqtt.max_mqueue_len", 0, UNLIMITED - 1).word("infinity", UNLIMITED)
            .byDefault("1000").doc("Most messages queued for an offline or busy client; a full queue drops the oldest."
                    + " Also bounds the QoS 0 deliveries waiting to reach a busy client's event loop (at least 1000);"
                    + " beyond it they are dropped and counted in delivery.dropped.queue_full.");
    public static final KeyDef<Boolean> MQTT_MQUEUE_STORE_QOS0 = bool("mqtt.mqueue_store_qos0")
            .byDefault("true").doc("Whether QoS 0 messages are queued for an offline client too.");
    public static final KeyDef<Boolean> MQTT_UPGRADE_QOS = bool("mqtt.upgrade_qos")
            .byDefault("false").doc("Whether a message is delivered at the subscription's QoS when that is higher than the message's.");
    public static final KeyDef<String> MQTT_SHARED_SUBSCRIPTION_STRATEGY =
            oneOf("mqtt.shared_subscription_strategy", "random", "round_robin", "hash_clientid", "hash_topic", "sticky")
            .byDefault("round_robin").doc("How a shared subscription group picks the member that gets a message.");
    public static final KeyDef<Long> MQTT_MAX_SEND_QUEUE = bytes("mqtt.max_send_queue", 1, UNLIMITED_BYTES - 1).word("infinity", UNLIMITED_BYTES)
            .byDefault("16MB").doc("Bytes waiting in a connection's write buffer before the slow reader is disconnected.");

    public static final KeyDef<String> MQTT_PEER_CERT_AS_USERNAME = oneOf("mqtt.peer_cert_as_username", "disabled", "cn", "dn")
            .byDefault("disabled").doc("On TLS listeners, replace the CONNECT username with the verified client certificate's common name (cn) or subject DN (dn) before authentication; without a certificate the username becomes empty. EMQX's crt, pem and md5 are not supported yet.");
    public static final KeyDef<String> MQTT_PEER_CERT_AS_CLIENTID = oneOf("mqtt.peer_cert_as_clientid", "disabled", "cn", "dn")
            .byDefault("disabled").doc("As peer_cert_as_username, for the client id; without a certificate the client's own id is kept.");

    // ---- authentication, authorization -------------------------------------------------------

    public static final KeyDef<List<ConfigItem>> AUTHENTICATION = key("authentication", AuthSchemas.authentication())
            .byDefault("[]").doc("The authentication chain, EMQX's shape: a list of authenticators asked in order (ignore asks the next one, the first allow or deny is final). "
                    + "Variants: {mechanism = password_based, backend = built_in_database} (users managed by the API and `trellis ctl users`, stored hashed under node.data_dir), "
                    + "{mechanism = jwt}, {mechanism = password_based, backend = http}. Empty (the default): every client may connect anonymously, as in EMQX. "
                    + "Once an authenticator is configured, a client none of them accepts is refused (CONNACK 0x05 / 0x87); a wrong password is 0x04 / 0x86.");
    public static final KeyDef<Boolean> AUTHN_ALLOW_ANONYMOUS = bool("authentication_settings.allow_anonymous")
            .byDefault("true").doc("Trellis addition (EMQX 5 has no such key): with no authenticator configured, whether anonymous clients may connect. false refuses every client until an authenticator is configured. It never lets a client past a configured chain.");
    public static final KeyDef<Integer> AUTHN_FAILURE_BAN_MAX_FAILURES = integer("authentication_settings.failure_ban.max_failures", 0, 1_000_000)
            .byDefault("10").doc("Trellis addition: this many failed logins from one peer address, or for one client id, within failure_ban.window ban that address or client id for failure_ban.ban_time (CONNACK 0x8A banned for MQTT 5, 0x05 for 3.1.1). 0 turns automatic bans off. Automatic bans are node-local and in memory; bans made through the API or ctl are cluster-wide.");
    public static final KeyDef<Duration> AUTHN_FAILURE_BAN_WINDOW = duration("authentication_settings.failure_ban.window")
            .byDefault("1m").doc("The sliding window in which failed logins are counted.");
    public static final KeyDef<Duration> AUTHN_FAILURE_BAN_TIME = duration("authentication_settings.failure_ban.ban_time")
            .byDefault("5m").doc("How long an automatic ban lasts; an operator can lift it earlier with DELETE /api/v5/banned/{as}/{who} or `trellis ctl banned delete`.");

    public static final KeyDef<List<ConfigItem>> AUTHZ_SOURCES = key("authorization.sources", AuthSchemas.authorizationSources())
            .byDefault("[]").doc("Authorization sources asked in order; the first allow or deny wins. Variants: {type = file, path = \"etc/acl.conf\"} (EMQX's acl.conf format), {type = built_in_database}, {type = http, url = ...}. "
                    + "Empty (the default): authorization is off and every publish and subscribe is allowed. The shipped etc/acl.conf denies subscribing to # and $SYS/# (except for the dashboard user) and allows the rest.");
    public static final KeyDef<String> AUTHZ_NO_MATCH = oneOf("authorization.no_match", "allow", "deny")
            .byDefault("deny").doc("What happens when sources are configured and none has a rule for the request. deny (EMQX 6's default; EMQX 5 allowed): a missing rule fails closed. The shipped acl.conf ends with {allow, all}, so ordinary topics stay open out of the box.");
    public static final KeyDef<String> AUTHZ_DENY_ACTION = oneOf("authorization.deny_action", "ignore", "disconnect")
            .byDefault("ignore").doc("ignore: a denied PUBLISH is dropped (MQTT 5: PUBACK/PUBREC 0x87; 3.1.1: acknowledged and dropped) and a denied SUBSCRIBE gets 0x87 (5) / 0x80 (3.1.1). disconnect: the connection is closed (MQTT 5: DISCONNECT 0x87).");
    public static final KeyDef<Boolean> AUTHZ_CACHE_ENABLE = bool("authorization.cache.enable")
            .byDefault("true").doc("Whether each connection remembers authorization answers.");
    public static final KeyDef<Integer> AUTHZ_CACHE_MAX_SIZE = integer("authorization.cache.max_size", 1, 1_048_576)
            .byDefault("32").doc("Answers remembered per connection; the least recently used goes first.");
    public static final KeyDef<Duration> AUTHZ_CACHE_TTL = duration("authorization.cache.ttl")
            .byDefault("1m").doc("How long a remembered answer is used before the sources are asked again.");

    // ---- listeners --------------------------------------------------------------------------

    public static final KeyDef<Boolean> TCP_ENABLE = bool("listeners.tcp.{name}.enable")
            .byDefault("true").doc("Whether this MQTT over TCP listener runs.");
    public static final KeyDef<InetSocketAddress> TCP_BIND = bind("listeners.tcp.{name}.bind")
            .byDefaultOnlyFor(DEFAULT_INSTANCE, "0.0.0.0:1883").doc("Address and port to listen on; required for instances other than default.");
    public static final KeyDef<Integer> TCP_MAX_CONNECTIONS = maxConnections("listeners.tcp.{name}.max_connections");
    public static final KeyDef<Boolean> TCP_ENABLE_AUTHN = enableAuthn("listeners.tcp.{name}");

    public static final KeyDef<Boolean> SSL_ENABLE = bool("listeners.ssl.{name}.enable")
            .byDefault("true").doc("Whether this MQTT over TLS listener runs.");
    public static final KeyDef<InetSocketAddress> SSL_BIND = bind("listeners.ssl.{name}.bind")
            .byDefaultOnlyFor(DEFAULT_INSTANCE, "0.0.0.0:8883").doc("Address and port to listen on; required for instances other than default.");
    public static final KeyDef<Integer> SSL_MAX_CONNECTIONS = maxConnections("listeners.ssl.{name}.max_connections");
    public static final KeyDef<Boolean> SSL_ENABLE_AUTHN = enableAuthn("listeners.ssl.{name}");
    public static final KeyDef<Path> SSL_CERTFILE = certfile("listeners.ssl.{name}");
    public static final KeyDef<Path> SSL_KEYFILE = keyfile("listeners.ssl.{name}");
    public static final KeyDef<Path> SSL_CACERTFILE = cacertfile("listeners.ssl.{name}");
    public static final KeyDef<Secret> SSL_PASSWORD = password("listeners.ssl.{name}");
    public static final KeyDef<String> SSL_VERIFY = verify("listeners.ssl.{name}");
    public static final KeyDef<Boolean> SSL_FAIL_IF_NO_PEER_CERT = failIfNoPeerCert("listeners.ssl.{name}");
    public static final KeyDef<List<String>> SSL_VERSIONS = versions("listeners.ssl.{name}");
    public static final KeyDef<List<String>> SSL_CIPHERS = ciphers("listeners.ssl.{name}");

    public static final KeyDef<Boolean> WS_ENABLE = bool("listeners.ws.{name}.enable")
            .byDefault("true").doc("Whether this MQTT over WebSocket listener runs.");
    public static final KeyDef<InetSocketAddress> WS_BIND = bind("listeners.ws.{name}.bind")
            .byDefaultOnlyFor(DEFAULT_INSTANCE, "0.0.0.0:8083").doc("Address and port to listen on; required for instances other than default.");
    public static final KeyDef<Integer> WS_MAX_CONNECTIONS = maxConnections("listeners.ws.{name}.max_connections");
    public static final KeyDef<Boolean> WS_ENABLE_AUTHN = enableAuthn("listeners.ws.{name}");
    public static final KeyDef<String> WS_MQTT_PATH = mqttPath("listeners.ws.{name}");

    public static final KeyDef<Boolean> WSS_ENABLE = bool("listeners.wss.{name}.enable")
            .byDefault("true").doc("Whether this MQTT over secure WebSocket listener runs.");
    public static final KeyDef<InetSocketAddress> WSS_BIND = bind("listeners.wss.{name}.bind")
            .byDefaultOnlyFor(DEFAULT_INSTANCE, "0.0.0.0:8084").doc("Address and port to listen on; required for instances other than default.");
    public static final KeyDef<Integer> WSS_MAX_CONNECTIONS = maxConnections("listeners.wss.{name}.max_connections");
    public static final KeyDef<Boolean> WSS_ENABLE_AUTHN = enableAuthn("listeners.wss.{name}");
    public static final KeyDef<String> WSS_MQTT_PATH = mqttPath("listeners.wss.{name}");
    public static final KeyDef<Path> WSS_CERTFILE = certfile("listeners.wss.{name}");
    public static final KeyDef<Path> WSS_KEYFILE = keyfile("listeners.wss.{name}");
    public static final KeyDef<Path> WSS_CACERTFILE = cacertfile("listeners.wss.{name}");
    public static final KeyDef<Secret> WSS_PASSWORD = password("listeners.wss.{name}");
    public static final KeyDef<String> WSS_VERIFY = verify("listeners.wss.{name}");
    public static final KeyDef<Boolean> WSS_FAIL_IF_NO_PEER_CERT = failIfNoPeerCert("listeners.wss.{name}");
    public static final KeyDef<List<String>> WSS_VERSIONS = versions("listeners.wss.{name}");
    public static final KeyDef<List<String>> WSS_CIPHERS = ciphers("listeners.wss.{name}");

    /** Every bind key of a named listener instance, for duplicate detection and the server. */
    public static final List<KeyDef<InetSocketAddress>> LISTENER_BINDS = List.of(TCP_BIND, SSL_BIND, WS_BIND, WSS_BIND);

    // ---- dashboard, api_key, log ------------------------------------------------------------

    public static final KeyDef<Boolean> DASHBOARD_HTTP_ENABLE = bool("dashboard.listeners.http.enable")
            .byDefault("true").doc("Whether the REST API / dashboard HTTP listener runs.");
    public static final KeyDef<InetSocketAddress> DASHBOARD_HTTP_BIND = bind("dashboard.listeners.http.bind")
            .byDefault("127.0.0.1:18083").doc("Address and port of the REST API; loopback by default, so exposing it is a deliberate choice.");

    public static final KeyDef<Path> API_KEY_BOOTSTRAP_FILE = path("api_key.bootstrap_file").emptyMeansUnset()
            .byDefault("").doc("File of key:secret lines, one API key each, loaded at start; empty = none.");

    public static final KeyDef<Boolean> LOG_CONSOLE_ENABLE = bool("log.console.enable")
            .byDefault("true").doc("Whether logs go to standard output.");
    public static final KeyDef<String> LOG_CONSOLE_LEVEL = oneOf("log.console.level", LOG_LEVELS.toArray(String[]::new))
            .byDefault("warning").doc("Lowest level written to the console.");
    public static final KeyDef<Boolean> LOG_FILE_ENABLE = bool("log.file.enable")
            .byDefault("false").doc("Whether logs go to a file.");
    public static final KeyDef<Path> LOG_FILE_PATH = path("log.file.path")
            .byDefault("log/trellis.log").doc("The log file; a relative path is relative to the install directory.");
    public static final KeyDef<String> LOG_FILE_LEVEL = oneOf("log.file.level", LOG_LEVELS.toArray(String[]::new))
            .byDefault("warning").doc("Lowest level written to the log file.");

    // ---- rule_engine.ssrf (EMQX 6 names and defaults) ----------------------------------------
    // enable defaults to false as in EMQX (issue 5: "EMQX's defaults"), so a config written for
    // EMQX behaves the same; bin/trellis check-config prints a notice while it is off. The CIDR
    // lists are checked strictly (10/8 is an error) when the node reads them, naming the key.

    public static final KeyDef<Boolean> RULE_ENGINE_SSRF_ENABLE = bool("rule_engine.ssrf.enable")
            .byDefault("false").doc("Check every connector target (HTTP url, MQTT bridge server) against the lists below when it is created, updated or tested, and every connect against the address dialled. Off by default as in EMQX; check-config prints a notice while off.");
    public static final KeyDef<List<String>> RULE_ENGINE_SSRF_ALLOW_CIDRS = key("rule_engine.ssrf.allow_cidrs", ValueTypes.stringList(null))
            .byDefault("").doc("CIDRs a target may resolve to even when deny_cidrs matches (allow wins), e.g. [\"10.1.2.0/24\"]. Strict: 10.0.0.0/8, not 10/8.");
    public static final KeyDef<List<String>> RULE_ENGINE_SSRF_DENY_CIDRS = key("rule_engine.ssrf.deny_cidrs", ValueTypes.stringList(null))
            .byDefault("127.0.0.0/8,::1/128,169.254.0.0/16,fe80::/10,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,0.0.0.0/8,::/128,224.0.0.0/4,ff00::/8,100.100.100.200/32,169.254.169.253/32")
            .doc("CIDRs a target must not resolve to: EMQX's list, with 0.0.0.0/8 for 0.0.0.0/32 and ::/128 added.");
    public static final KeyDef<List<String>> RULE_ENGINE_SSRF_DENY_HOSTS = key("rule_engine.ssrf.deny_hosts", ValueTypes.stringList(null))
            .byDefault("metadata.tencentyun.com,metadata.google.internal,metadata.azure.internal")
            .doc("Host names refused outright (case-insensitive, trailing dot ignored): cloud metadata endpoints.");

    private Keys() {
    }

    /** Every key, in definition order. */
    public static List<KeyDef<?>> all() {
        return Collections.unmodifiableList(ALL);
    }

    // ---- builders: one per type, each registering into ALL -----------------------------------

    private static <T> KeyDef.Builder<T> key(String path, ValueType<T> type) {
        return new KeyDef.Builder<>(path, type, ALL::add);
    }

    private static KeyDef.Builder<String> string(String path, String regex, String shape) {
        return key(path, ValueTypes.string(Pattern.compile(regex), shape));
    }

    private static KeyDef.Builder<Integer> integer(String path, int min, int max) {
        return key(path, ValueTypes.integer(min, max));
    }

    private static KeyDef.Builder<Long> bytes(String path, long min, long max) {
        return key(path, ValueTypes.bytes(min, max));
    }

    private static KeyDef.Builder<Double> decimal(String path, double min, double max) {
        return key(path, ValueTypes.decimal(min, max));
    }

    private static KeyDef.Builder<Boolean> bool(String path) {
        return key(path, ValueTypes.bool());
    }

    private static KeyDef.Builder<String> oneOf(String path, String... values) {
        return key(path, ValueTypes.oneOf(List.of(values)));
    }

    private static KeyDef.Builder<Duration> duration(String path) {
        return key(path, ValueTypes.duration(false));
    }

    private static KeyDef.Builder<Secret> secret(String path) {
        return key(path, ValueTypes.secret());
    }

    private static KeyDef.Builder<InetSocketAddress> bind(String path) {
        return key(path, ValueTypes.bind());
    }

    /** {@code cluster.dns.servers} entries: an IP literal, {@code ipv4:port} or {@code [ipv6]:port}. */
    static boolean isDnsServer(String s) {
        String host = s;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                return false;
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return false;
                }
                port = rest.substring(1);
            }
            if (!host.contains(":")) {
                return false;
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = s.substring(s.indexOf(':') + 1);
        }
        if (!host.matches(IP_LITERAL_REGEX)) {
            return false;
        }
        return port == null || (port.matches("[0-9]{1,5}") && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535);
    }

    private static KeyDef.Builder<String> ipAddress(String path) {
        return string(path, IP_LITERAL_REGEX, "an IP address, e.g. 0.0.0.0, 10.0.0.1 or ::");
    }

    private static KeyDef.Builder<Path> path(String path) {
        return key(path, ValueTypes.path());
    }

    private static KeyDef<Integer> maxConnections(String path) {
        return integer(path, 1, UNLIMITED - 1).word("infinity", UNLIMITED)
                .byDefault("infinity").doc("Most concurrent connections this listener accepts; further ones are refused.");
    }

    private static KeyDef<Boolean> enableAuthn(String listener) {
        return bool(listener + ".enable_authn")
                .byDefault("true").doc("Whether clients of this listener go through the authentication chain; false lets every client of this listener in without it (bans still apply).");
    }

    private static KeyDef<Path> certfile(String listener) {
        return path(listener + ".ssl_options.certfile")
                .byDefault("etc/certs/cert.pem").doc("PEM certificate chain of this listener, leaf first.");
    }

    private static KeyDef<Path> keyfile(String listener) {
        return path(listener + ".ssl_options.keyfile")
                .byDefault("etc/certs/key.pem").doc("PEM private key of the certificate (PKCS#8, PKCS#1 or SEC1; may be encrypted, see password).");
    }

    private static KeyDef<Path> cacertfile(String listener) {
        return path(listener + ".ssl_options.cacertfile")
                .byDefault("etc/certs/ca.pem").doc("PEM CA bundle that client certificates are verified against.");
    }

    private static KeyDef<Secret> password(String listener) {
        return secret(listener + ".ssl_options.password")
                .doc("Password of an encrypted keyfile; unset for a plain key. file:///path reads it from a file.");
    }

    private static KeyDef<String> verify(String listener) {
        return oneOf(listener + ".ssl_options.verify", "verify_peer", "verify_none")
                .byDefault("verify_none").doc("verify_peer asks clients for a certificate and checks it against cacertfile; verify_none (EMQX's default for MQTT) does not.");
    }

    private static KeyDef<Boolean> failIfNoPeerCert(String listener) {
        return bool(listener + ".ssl_options.fail_if_no_peer_cert")
                .byDefault("false").doc("With verify_peer: refuse a client that presents no certificate.");
    }

    private static KeyDef<List<String>> versions(String listener) {
        return key(listener + ".ssl_options.versions", ValueTypes.stringList(List.of("tlsv1.3", "tlsv1.2")))
                .check(v -> !v.isEmpty(), "no TLS version is enabled", "list at least one of tlsv1.3, tlsv1.2")
                .byDefault("tlsv1.3,tlsv1.2").doc("TLS versions offered. Versions older than 1.2 are not supported.");
    }

    private static KeyDef<List<String>> ciphers(String listener) {
        return key(listener + ".ssl_options.ciphers", ValueTypes.stringList(null))
                .byDefault("").doc("Cipher suites offered (IANA or OpenSSL names); empty = the TLS provider's secure defaults.");
    }

    private static KeyDef<Path> clusterCertfile(String prefix, String byDefault) {
        return path(prefix + ".certfile").emptyMeansUnset()
                .byDefault(byDefault).doc("PEM certificate chain of this node, leaf first (TLS between nodes; used as server and client certificate).");
    }

    private static KeyDef<Path> clusterKeyfile(String prefix, String byDefault) {
        return path(prefix + ".keyfile").emptyMeansUnset()
                .byDefault(byDefault).doc("PEM private key of " + prefix + ".certfile (PKCS#8, PKCS#1 or SEC1; may be encrypted, see password).");
    }

    private static KeyDef<Path> clusterCacertfile(String prefix, String byDefault) {
        return path(prefix + ".cacertfile").emptyMeansUnset()
                .byDefault(byDefault).doc("PEM CA bundle that peers' certificates are verified against.");
    }

    private static KeyDef<String> clusterVerify(String prefix) {
        return oneOf(prefix + ".verify", "verify_peer", "verify_none")
                .byDefault("verify_peer").doc("verify_peer checks the peer's certificate against cacertfile (both directions); verify_none checks nothing and logs a warning at start.");
    }

    private static KeyDef<Boolean> clusterFailIfNoPeerCert(String prefix) {
        return bool(prefix + ".fail_if_no_peer_cert")
                .byDefault("true").doc("With verify_peer: refuse a connecting node that presents no certificate.");
    }

    private static KeyDef<List<String>> clusterTlsVersions(String prefix) {
        return key(prefix + ".tls_versions", ValueTypes.stringList(List.of("tlsv1.3", "tlsv1.2")))
                .check(v -> !v.isEmpty(), "no TLS version is enabled", "list at least one of tlsv1.3, tlsv1.2")
                .byDefault("tlsv1.3,tlsv1.2").doc("TLS versions offered between nodes. Versions older than 1.2 are not supported.");
    }

    private static KeyDef<List<String>> clusterCiphers(String prefix) {
        return key(prefix + ".ciphers", ValueTypes.stringList(null))
                .byDefault("").doc("Cipher suites offered between nodes (IANA or OpenSSL names); empty = the TLS provider's secure defaults.");
    }

    private static KeyDef<Boolean> clusterVerifyPeerHost(String prefix) {
        return bool(prefix + ".verify_peer_host")
                .byDefault("false").doc("Trellis's own key: also check that the peer's certificate names (SAN, IP or DNS) the host of the node name dialled; off by default, as in EMQX.");
    }

    private static KeyDef<String> mqttPath(String listener) {
        return key(listener + ".websocket.mqtt_path", ValueTypes.string(Pattern.compile("/\\S*"), "a URL path starting with /"))
                .byDefault("/mqtt").doc("URL path where WebSocket clients connect.");
    }
}

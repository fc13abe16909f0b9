package io.trellis.cluster;

import io.trellis.config.ConfigException;
import io.trellis.config.Keys;
import io.trellis.config.Secret;
import io.trellis.config.TrellisConfig;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.cluster.transport.TransportSecurityConfig;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The cluster's view of the configuration, with the checks that span several keys or need the
 * cluster's own parsing (node names, heartbeat vs node-down timeout, address family vs
 * {@code cluster.proto_dist}). Every problem names the key to change; all are reported together.
 * The cookie is held as the config's {@link Secret} and never printed.
 */
public record ClusterSettings(
        NodeName node,
        Secret cookie,
        DiscoveryStrategy discovery,
        List<NodeName> staticSeeds,
        String dnsName,
        String dnsRecordType,
        boolean ipv6Dist,
        String distBindAddress,
        Duration heartbeatInterval,
        Duration nodeDownTimeout,
        Duration autoclean,
        boolean autoheal,
        RpcPortDiscovery rpcPortDiscovery,
        int rpcServerPort,
        String rpcListenAddress,
        int rpcClientNum,
        Duration connectTimeout,
        Duration authenticationTimeout,
        TransportSecurity transport,
        List<InetSocketAddress> dnsServers) {

    /** The DNS port a {@code cluster.dns.servers} entry without a port gets. */
    public static final int DNS_PORT = 53;

    /** The system's DNS servers for discovery (callers from before {@code cluster.dns.servers}). */
    public ClusterSettings(NodeName node, Secret cookie, DiscoveryStrategy discovery, List<NodeName> staticSeeds, String dnsName,
                           String dnsRecordType, boolean ipv6Dist, String distBindAddress, Duration heartbeatInterval,
                           Duration nodeDownTimeout, Duration autoclean, boolean autoheal, RpcPortDiscovery rpcPortDiscovery,
                           int rpcServerPort, String rpcListenAddress, int rpcClientNum, Duration connectTimeout,
                           Duration authenticationTimeout, TransportSecurity transport) {
        this(node, cookie, discovery, staticSeeds, dnsName, dnsRecordType, ipv6Dist, distBindAddress, heartbeatInterval,
                nodeDownTimeout, autoclean, autoheal, rpcPortDiscovery, rpcServerPort, rpcListenAddress, rpcClientNum,
                connectTimeout, authenticationTimeout, transport, List.of());
    }

    /** The same settings asking {@code servers} (empty: the system's) for DNS discovery and SRV target hosts. */
    public ClusterSettings withDnsServers(List<InetSocketAddress> servers) {
        return new ClusterSettings(node, cookie, discovery, staticSeeds, dnsName, dnsRecordType, ipv6Dist, distBindAddress,
                heartbeatInterval, nodeDownTimeout, autoclean, autoheal, rpcPortDiscovery, rpcServerPort, rpcListenAddress,
                rpcClientNum, connectTimeout, authenticationTimeout, transport, List.copyOf(servers));
    }

    /** Plain TCP on both channels (tests and callers from before TLS). */
    public ClusterSettings(NodeName node, Secret cookie, DiscoveryStrategy discovery, List<NodeName> staticSeeds, String dnsName,
                           String dnsRecordType, boolean ipv6Dist, String distBindAddress, Duration heartbeatInterval,
                           Duration nodeDownTimeout, Duration autoclean, boolean autoheal, RpcPortDiscovery rpcPortDiscovery,
                           int rpcServerPort, String rpcListenAddress, int rpcClientNum, Duration connectTimeout,
                           Duration authenticationTimeout) {
        this(node, cookie, discovery, staticSeeds, dnsName, dnsRecordType, ipv6Dist, distBindAddress, heartbeatInterval,
                nodeDownTimeout, autoclean, autoheal, rpcPortDiscovery, rpcServerPort, rpcListenAddress, rpcClientNum,
                connectTimeout, authenticationTimeout, TransportSecurity.PLAIN, List.of());
    }

    /** {@code cluster.discovery_strategy}. */
    public enum DiscoveryStrategy {
        MANUAL, STATIC, DNS, SINGLETON;

        static DiscoveryStrategy fromConfig(String word) {
            return valueOf(word.toUpperCase(Locale.ROOT));
        }
    }

    /** Reads and cross-checks the cluster keys of {@code config}. */
    public static ClusterSettings from(TrellisConfig config) throws ConfigException {
        List<String> problems = new ArrayList<>();
        NodeName node = null;
        try {
            node = NodeName.parse(config.get(Keys.NODE_NAME));
        } catch (IllegalArgumentException e) {
            problems.add(Keys.NODE_NAME.path() + ": " + e.getMessage());
        }
        List<NodeName> seeds = new ArrayList<>();
        for (String seed : config.get(Keys.CLUSTER_STATIC_SEEDS)) {
            try {
                seeds.add(NodeName.parse(seed));
            } catch (IllegalArgumentException e) {
                problems.add(Keys.CLUSTER_STATIC_SEEDS.path() + ": " + e.getMessage());
            }
        }
        DiscoveryStrategy discovery = DiscoveryStrategy.fromConfig(config.get(Keys.CLUSTER_DISCOVERY_STRATEGY));
        if (discovery == DiscoveryStrategy.STATIC && seeds.isEmpty() && problems.isEmpty()) {
            problems.add(Keys.CLUSTER_STATIC_SEEDS.path() + ": is empty while cluster.discovery_strategy = static;"
                    + " list the nodes to join, e.g. [\"trellis1@10.0.0.1\"], or use another strategy");
        }
        if (discovery == DiscoveryStrategy.DNS && config.get(Keys.CLUSTER_DNS_NAME).isEmpty()) {
            problems.add(Keys.CLUSTER_DNS_NAME.path() + ": is empty while cluster.discovery_strategy = dns; write the DNS name that lists the nodes");
        }
        List<InetSocketAddress> dnsServers = new ArrayList<>();
        for (String server : config.get(Keys.CLUSTER_DNS_SERVERS)) {
            InetSocketAddress address = dnsServer(server);
            if (address == null) {
                problems.add(Keys.CLUSTER_DNS_SERVERS.path() + ": '" + server + "' is not an IP address with an optional port;"
                        + " write e.g. \"10.0.0.2\", \"127.0.0.1:8600\" or \"[fd00::53]:53\"");
            } else {
                dnsServers.add(address);
            }
        }
        Duration heartbeat = config.get(Keys.CLUSTER_HEARTBEAT_INTERVAL);
        Duration down = config.get(Keys.CLUSTER_NODE_DOWN_TIMEOUT);
        if (down.compareTo(heartbeat.multipliedBy(3)) < 0) {
            problems.add(Keys.CLUSTER_NODE_DOWN_TIMEOUT.path() + ": " + format(down) + " is less than 3 x cluster.heartbeat_interval ("
                    + format(heartbeat) + "), so one late heartbeat would declare a node down; raise it to at least "
                    + format(heartbeat.multipliedBy(3)) + " or lower the interval");
        }
        boolean ipv6 = config.get(Keys.CLUSTER_PROTO_DIST).startsWith("inet6");
        String distBind = config.get(Keys.NODE_DIST_BIND_ADDRESS);
        if (ipv6 && distBind.equals(Keys.NODE_DIST_BIND_ADDRESS.defaultValue())) {
            distBind = "::"; // the IPv4 default means "every interface": the IPv6 equivalent
        } else if (ipv6 != distBind.contains(":")) {
            problems.add(Keys.NODE_DIST_BIND_ADDRESS.path() + ": '" + distBind + "' is an IPv" + (ipv6 ? "4" : "6")
                    + " address but cluster.proto_dist = " + config.get(Keys.CLUSTER_PROTO_DIST)
                    + "; write an IPv" + (ipv6 ? "6" : "4") + " address or change cluster.proto_dist");
        }
        // TLS files are loaded only when the rest is sound: their errors then are the ones to fix.
        TransportSecurity transport = problems.isEmpty() ? TransportSecurityConfig.from(config, problems) : TransportSecurity.PLAIN;
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ClusterSettings(node, config.get(Keys.NODE_COOKIE), discovery, List.copyOf(seeds),
                config.get(Keys.CLUSTER_DNS_NAME), config.get(Keys.CLUSTER_DNS_RECORD_TYPE), ipv6, distBind,
                heartbeat, down, config.get(Keys.CLUSTER_AUTOCLEAN), config.get(Keys.CLUSTER_AUTOHEAL),
                RpcPortDiscovery.fromConfig(config.get(Keys.RPC_PORT_DISCOVERY)), config.get(Keys.RPC_SERVER_PORT),
                config.get(Keys.RPC_LISTEN_ADDRESS), config.get(Keys.RPC_CLIENT_NUM), config.get(Keys.RPC_CONNECT_TIMEOUT),
                config.get(Keys.RPC_AUTHENTICATION_TIMEOUT), transport, List.copyOf(dnsServers));
    }

    /** Whether this node may cluster: not singleton, and a cookie that {@link CookiePolicy} accepts. */
    public CookiePolicy.Decision clusteringDecision() {
        if (discovery == DiscoveryStrategy.SINGLETON) {
            return new CookiePolicy.Decision(false, "clustering is off: cluster.discovery_strategy = singleton");
        }
        return CookiePolicy.evaluate(cookie);
    }

    /** The port plan of this node's settings. */
    public PortPlan portPlan() {
        return new PortPlan(rpcPortDiscovery, rpcServerPort);
    }

    /** {@code ip}, {@code ipv4:port} or {@code [ipv6]:port} (port 53 if none); null if it is none of these. */
    public static InetSocketAddress dnsServer(String text) {
        String host = text;
        int port = DNS_PORT;
        int colon = text.lastIndexOf(':');
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || (close + 1 < text.length() && text.charAt(close + 1) != ':')) {
                return null;
            }
            host = text.substring(1, close);
            if (close + 1 < text.length()) {
                port = port(text.substring(close + 2));
            }
        } else if (colon >= 0 && colon == text.indexOf(':')) {
            host = text.substring(0, colon);
            port = port(text.substring(colon + 1));
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(host);
        if (ip == null || port < 0 || host.indexOf('%') >= 0) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port); // a literal: no look-up
        } catch (java.net.UnknownHostException e) {
            return null; // not reached: the length is 4 or 16
        }
    }

    private static int port(String text) {
        if (!text.matches("[0-9]{1,5}")) {
            return -1;
        }
        int p = Integer.parseInt(text);
        return p >= 1 && p <= 65535 ? p : -1;
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Never shows the cookie (a record would print every component). */
    @Override
    public String toString() {
        return "ClusterSettings(node=" + node + ", cookie=******, discovery=" + discovery + ", seeds=" + staticSeeds
                + (discovery == DiscoveryStrategy.DNS ? ", dns=" + dnsRecordType + " " + dnsName + " via "
                        + (dnsServers.isEmpty() ? "resolv.conf" : dnsServers) : "")
                + ", heartbeat=" + heartbeatInterval + ", nodeDown=" + nodeDownTimeout + ", dist=" + transport.dist() + ", rpc=" + transport.rpc() + ")";
    }
}

package io.trellis.server.firewall;

import io.trellis.config.Keys;
import io.trellis.config.TrellisConfig;
import io.trellis.security.ssrf.SsrfPolicy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the firewall rules are made from: this node's cluster ports, its peers (host and their
 * cluster ports), its own local ports (kept reachable over loopback so ctl and local clients
 * work), the SSRF policy's lists, extra approved egress targets, the DNS servers of
 * {@code cluster.dns.servers} that listen on a port other than 53 (port 53 is open to every
 * address), and whether the AWS instance metadata service (169.254.169.254) must stay reachable.
 *
 * <p>Ports follow EMQX's mapping: distribution 4370 + N, cluster RPC 5370 + N
 * ({@code rpc.port_discovery = stateless}) or {@code rpc.server_port} ({@code manual}); N is the
 * trailing number of the node name's name part ({@code trellis2@...} -> 2, {@code trellis2a} -> 0).
 */
public record FirewallPlan(List<Integer> clusterPorts, List<Peer> peers, List<Integer> localPorts, SsrfPolicy policy,
                           List<Target> allowEgress, boolean awsImds, List<Target> dnsServers) {

    /** A cluster peer: its host and the cluster ports it listens on. */
    public record Peer(String host, List<Integer> ports) {
    }

    /** An approved egress destination: an address or CIDR, and a TCP port (0 = any). */
    public record Target(String address, int port) {
        /** {@code 198.51.100.10:443}, {@code [2001:db8::1]:443}, {@code 203.0.113.0/24} (any port). */
        public static Target parse(String text) {
            String t = text.strip();
            if (t.startsWith("[")) {
                int end = t.indexOf(']');
                if (end < 0) throw new IllegalArgumentException("--allow " + text + ": missing ] after the IPv6 address");
                String port = t.substring(end + 1);
                return new Target(t.substring(1, end), port.isEmpty() ? 0 : port(text, port.substring(1)));
            }
            int colon = t.lastIndexOf(':');
            if (colon > 0 && t.indexOf(':') == colon) {
                return new Target(t.substring(0, colon), port(text, t.substring(colon + 1)));
            }
            return new Target(t, 0);
        }

        private static int port(String text, String p) {
            try {
                int port = Integer.parseInt(p);
                if (port >= 1 && port <= 65535) return port;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("--allow " + text + ": the port must be 1..65535, e.g. 198.51.100.10:443");
        }
    }

    private static final Pattern NODE = Pattern.compile("([A-Za-z0-9_-]*?)(\\d*)@(.+)");

    public static final int DIST_BASE = 4370;
    public static final int RPC_BASE = 5370;

    /** The cluster ports of node {@code name@host} under this config. */
    static List<Integer> portsOf(String nodeName, TrellisConfig c) {
        Matcher m = NODE.matcher(nodeName);
        int n = m.matches() && !m.group(2).isEmpty() ? Integer.parseInt(m.group(2)) : 0;
        int rpc = "manual".equals(c.get(Keys.RPC_PORT_DISCOVERY)) ? c.get(Keys.RPC_SERVER_PORT) : RPC_BASE + n;
        return List.of(DIST_BASE + n, rpc);
    }

    static String hostOf(String nodeName) {
        String host = nodeName.substring(nodeName.indexOf('@') + 1);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** From the node's config; {@code extraPeers} are name@host strings added to cluster.static.seeds. */
    public static FirewallPlan from(TrellisConfig c, SsrfPolicy policy, List<String> extraPeers, List<Target> allow,
                                    boolean awsImds) {
        String self = c.get(Keys.NODE_NAME);
        List<Peer> peers = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>(c.get(Keys.CLUSTER_STATIC_SEEDS));
        names.addAll(extraPeers);
        for (String name : names) {
            if (name.equals(self)) continue;
            if (!name.contains("@")) {
                throw new IllegalArgumentException("peer " + name + " is not a node name; write name@host, e.g. trellis2@192.0.2.2");
            }
            peers.add(new Peer(hostOf(name), portsOf(name, c)));
        }
        Set<Integer> local = new LinkedHashSet<>(portsOf(self, c));
        local.add(c.get(Keys.DASHBOARD_HTTP_BIND).getPort());
        for (String type : List.of("tcp", "ssl", "ws", "wss")) {
            for (String name : c.names("listeners." + type)) {
                var enable = switch (type) {
                    case "tcp" -> Keys.TCP_ENABLE;
                    case "ssl" -> Keys.SSL_ENABLE;
                    case "ws" -> Keys.WS_ENABLE;
                    default -> Keys.WSS_ENABLE;
                };
                var bind = switch (type) {
                    case "tcp" -> Keys.TCP_BIND;
                    case "ssl" -> Keys.SSL_BIND;
                    case "ws" -> Keys.WS_BIND;
                    default -> Keys.WSS_BIND;
                };
                if (c.get(enable, name)) local.add(c.get(bind, name).getPort());
            }
        }
        List<Target> dns = new ArrayList<>();
        for (String server : c.get(Keys.CLUSTER_DNS_SERVERS)) {
            java.net.InetSocketAddress a = io.trellis.cluster.ClusterSettings.dnsServer(server);
            if (a == null) {
                throw new IllegalArgumentException("cluster.dns.servers: '" + server
                        + "' is not an IP address with an optional port; write e.g. \"10.0.0.2\" or \"127.0.0.1:8600\"");
            }
            if (a.getPort() != 53) {
                dns.add(new Target(new inet.ipaddr.IPAddressString(a.getAddress().getHostAddress()).getAddress().toCompressedString(),
                        a.getPort()));
            }
        }
        return new FirewallPlan(portsOf(self, c), List.copyOf(peers), List.copyOf(local), policy, List.copyOf(allow), awsImds,
                List.copyOf(dns));
    }
}

package io.trellis.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The cluster ports of a set of nodes, and the clashes among them: two distinct nodes on one
 * host whose names map to the same port ({@code trellis1} and {@code trellis01} both give
 * N = 1; with {@code rpc.port_discovery = manual} any two nodes on one host share
 * {@code rpc.server_port}). Hosts compare as written (lower case): {@code localhost} and
 * {@code 127.0.0.1} are not known to be the same host without DNS, so that case is left to the
 * bind failure at start.
 */
public final class PortPlan {
    private final RpcPortDiscovery rpcDiscovery;
    private final int rpcServerPort;

    public PortPlan(RpcPortDiscovery rpcDiscovery, int rpcServerPort) {
        if (rpcServerPort < 1 || rpcServerPort > 65535) {
            throw new IllegalArgumentException("rpc.server_port " + rpcServerPort + " is out of range; write a port 1-65535");
        }
        this.rpcDiscovery = rpcDiscovery;
        this.rpcServerPort = rpcServerPort;
    }

    /** The port each channel of {@code node} listens on, for {@code ctl ports} and firewall rules. */
    public List<ChannelPort> ports(NodeName node) {
        return List.of(
                new ChannelPort(node, ClusterChannel.DIST, node.distPort()),
                new ChannelPort(node, ClusterChannel.RPC, node.rpcPort(rpcDiscovery, rpcServerPort)));
    }

    /**
     * Every clash between {@code self} and the other nodes, and among the others; empty when the
     * plan is sound. Each clash names both nodes and the port.
     */
    public List<PortClash> clashes(NodeName self, Collection<NodeName> others) {
        TreeSet<NodeName> all = new TreeSet<>(others);
        all.add(self);
        List<NodeName> nodes = new ArrayList<>(all);
        List<PortClash> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                NodeName a = nodes.get(i);
                NodeName b = nodes.get(j);
                if (!a.host().equals(b.host())) {
                    continue;
                }
                for (ChannelPort pa : ports(a)) {
                    for (ChannelPort pb : ports(b)) {
                        if (pa.port() == pb.port()) {
                            out.add(new PortClash(a, b, pa.port(), pa.channel(), pb.channel()));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** One listening port of a node. */
    public record ChannelPort(NodeName node, ClusterChannel channel, int port) {
    }

    /** Two nodes on one host that would listen on the same port. */
    public record PortClash(NodeName first, NodeName second, int port, ClusterChannel firstChannel, ClusterChannel secondChannel) {
        /** E.g. "trellis1@h and trellis01@h both map to port 4371 (distribution) on host h; ...". */
        public String message() {
            String use = firstChannel == secondChannel ? firstChannel.description()
                    : firstChannel.description() + " of " + first + ", " + secondChannel.description() + " of " + second;
            String fix = firstChannel == ClusterChannel.RPC && secondChannel == ClusterChannel.RPC
                            && port != NodeName.RPC_BASE_PORT + first.offset()
                    ? "with rpc.port_discovery = manual only one node per host can run; use stateless or another host"
                    : "rename one so the trailing digits of the names differ (the port is 4370/5370 + those digits)";
            return first + " and " + second + " both map to port " + port + " (" + use + ") on host "
                    + first.host() + ": " + fix;
        }
    }
}

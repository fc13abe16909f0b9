package io.trellis.server.cluster;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.distribution.Distribution;
import io.trellis.cluster.handshake.HandshakeFailedException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A {@link Cluster} over the distribution channel alone: join, leave, node up/down, status and
 * ports. A stopgap so the node, its API and CLI work end to end before the data plane
 * (io.trellis.cluster.ClusterNode: routes, forwarding, cluster RPC) is merged.
 *
 * <p>Limits: no message crosses nodes; peers' version and uptime are unknown (no NODE_INFO
 * message yet); {@link #forceLeave} only forgets a node that is down; no cluster RPC listener.
 */
final class MembershipOnlyCluster implements Cluster {
    private final ClusterSettings settings;
    private final String version;
    private final long startedAt = System.currentTimeMillis();
    private final EventLoopGroup group;
    private final Distribution distribution;

    private MembershipOnlyCluster(ClusterSettings settings, String version) {
        this.settings = settings;
        this.version = version;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.distribution = Distribution.create(settings, group);
    }

    static Cluster create(ClusterSettings settings, String version) {
        return new MembershipOnlyCluster(settings, version);
    }

    @Override
    public NodeName self() {
        return settings.node();
    }

    @Override
    public void start() {
        try {
            distribution.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the distribution port of " + self());
        }
    }

    @Override
    public CompletableFuture<Void> join(NodeName node) {
        return distribution.join(node).handle((joined, failure) -> {
            if (failure == null) {
                return null;
            }
            throw new CompletionException(joinFailure(node, failure));
        });
    }

    /** The cause of a failed join in operator words: "cookie mismatch", not a generic error. */
    private static ClusterJoinException joinFailure(NodeName node, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof HandshakeFailedException h) {
            return new ClusterJoinException("cannot join " + node + ": " + h.reason().words() + " (" + h.reason().fix() + ")");
        }
        if (cause instanceof ConnectException) {
            return new ClusterJoinException("node " + node + " is not reachable on " + node.host() + ":" + node.distPort()
                    + " (connection refused); is it running, and is the port open?");
        }
        return new ClusterJoinException("cannot join " + node + ": " + cause.getMessage());
    }

    @Override
    public void leave() {
        distribution.leave();
    }

    @Override
    public boolean forceLeave(NodeName node) {
        return false;
    }

    @Override
    public List<NodeStatus> status() {
        List<NodeStatus> out = new ArrayList<>();
        int rpcPort = self().rpcPort(settings.rpcPortDiscovery(), settings.rpcServerPort());
        out.add(new NodeStatus(self(), true, version, System.currentTimeMillis() - startedAt, distribution.port(), rpcPort));
        Set<NodeName> up = distribution.upNodes();
        for (NodeName n : distribution.knownNodes()) {
            out.add(new NodeStatus(n, up.contains(n), null, -1, n.distPort(),
                    n.rpcPort(settings.rpcPortDiscovery(), settings.rpcServerPort())));
        }
        return out;
    }

    @Override
    public List<PortInfo> ports() {
        List<PortInfo> out = new ArrayList<>();
        out.add(new PortInfo("listen", settings.distBindAddress(), distribution.port(), "tcp",
                "cluster distribution (membership, routes)", null));
        for (NodeName n : distribution.knownNodes()) {
            out.add(new PortInfo("dial", n.host(), n.distPort(), "tcp", "cluster distribution (membership, routes)", n.toString()));
        }
        return out;
    }

    @Override
    public void close() {
        distribution.close();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}

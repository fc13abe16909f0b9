package io.trellis.server.cluster;

import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.cluster.NodeName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Cluster with scripted peers, to test the API and CLI without a network: join succeeds for a
 * node marked reachable, fails with the scripted reason otherwise.
 */
public final class FakeCluster implements Cluster {
    private final NodeName self;
    /** Peer name -> running. */
    public final Map<NodeName, Boolean> members = new ConcurrentHashMap<>();
    /** Peer name -> why a join to it fails; absent = join succeeds. */
    public final Map<NodeName, String> refusals = new ConcurrentHashMap<>();
    /** Peer name -> a join that completes when the test completes it. */
    public final Map<NodeName, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    /** Peers held apart after a partition (cluster.autoheal = false). */
    public final java.util.Set<NodeName> partitioned = ConcurrentHashMap.newKeySet();
    public volatile boolean started;
    public volatile boolean closed;

    public FakeCluster(String self) {
        this.self = NodeName.parse(self);
    }

    @Override
    public NodeName self() {
        return self;
    }

    @Override
    public void start() {
        started = true;
    }

    @Override
    public CompletableFuture<Void> join(NodeName node) {
        CompletableFuture<Void> held = pending.get(node);
        if (held != null) {
            return held.thenRun(() -> members.put(node, true));
        }
        String refusal = refusals.get(node);
        if (refusal != null) {
            return CompletableFuture.failedFuture(new ClusterJoinException(refusal));
        }
        members.put(node, true);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void leave() {
        members.clear();
    }

    @Override
    public boolean forceLeave(NodeName node) {
        return members.remove(node) != null;
    }

    @Override
    public List<NodeStatus> status() {
        List<NodeStatus> out = new ArrayList<>();
        out.add(new NodeStatus(self, true, "test", 1000, self.distPort(), 5370 + self.offset()));
        members.forEach((n, up) -> out.add(new NodeStatus(n, up, up ? "test" : null, up ? 2000 : -1, n.distPort(),
                5370 + n.offset())));
        return out;
    }

    @Override
    public java.util.Set<NodeName> partitioned() {
        return java.util.Set.copyOf(partitioned);
    }

    @Override
    public List<PortInfo> ports() {
        List<PortInfo> out = new ArrayList<>();
        out.add(new PortInfo("listen", "0.0.0.0", self.distPort(), "tcp", "cluster distribution (membership, routes)", null));
        out.add(new PortInfo("listen", "0.0.0.0", 5370 + self.offset(), "tcp", "cluster RPC (message forwarding)", null));
        members.keySet().forEach(n -> out.add(new PortInfo("dial", n.host(), n.distPort(), "tcp",
                "cluster distribution (membership, routes)", n.toString())));
        return out;
    }

    @Override
    public void close() {
        closed = true;
    }
}

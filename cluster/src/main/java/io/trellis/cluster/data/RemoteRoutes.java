package io.trellis.cluster.data;

import io.trellis.cluster.NodeName;
import io.trellis.mqtt.topic.SubscriptionTree;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Read-only replicas of the peers' routes: one {@link RouteTable} per peer (only the owner
 * writes its routes: a full copy on (re)connect, then deltas in sequence), indexed in two
 * subscription trees for matching at node level ("which nodes have a matching filter").
 *
 * <p>Threads: writes come from the membership thread only; {@link #matchNodes} and
 * {@link #matchShared} run on any thread (the trees are thread-safe).
 */
public final class RemoteRoutes {
    /** A share group on a peer. */
    public record SharedAt(NodeName node, String group, String filter) {
    }

    /** One peer's routes as last replicated, and the sequence number of its last change applied. */
    static final class RouteTable {
        long seq;
        final Set<String> filters = new HashSet<>();
        final Set<DataMessage.SharedRoute> shared = new HashSet<>();
    }

    private final SubscriptionTree<NodeName> plain = new SubscriptionTree<>();
    private final SubscriptionTree<SharedAt> shared = new SubscriptionTree<>();
    private final Map<NodeName, RouteTable> tables = new HashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<DataMessage.SharedRoute, Set<NodeName>> sharedIndex =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Replaces the peer's routes with its full copy. Membership thread. */
    public synchronized void applyFull(NodeName peer, DataMessage.RoutesFullV1 full) {
        drop(peer);
        RouteTable t = new RouteTable();
        t.seq = full.seq();
        tables.put(peer, t);
        for (String f : full.filters()) {
            add(peer, t, new DataMessage.RouteOp(DataMessage.RouteOp.ADD, f, null));
        }
        for (DataMessage.SharedRoute r : full.shared()) {
            add(peer, t, new DataMessage.RouteOp(DataMessage.RouteOp.SHARED_ADD, r.filter(), r.group()));
        }
    }

    /**
     * Applies a delta; returns false when it does not follow the last change applied (a gap, or
     * no full copy yet): the caller then asks the peer for its full routes. A delta already seen
     * is ignored.
     */
    public synchronized boolean applyDelta(NodeName peer, DataMessage.RouteDeltaV1 delta) {
        RouteTable t = tables.get(peer);
        if (t == null) {
            return false;
        }
        long seq = delta.firstSeq();
        for (DataMessage.RouteOp op : delta.ops()) {
            if (seq <= t.seq) {
                seq++;
                continue; // already applied (a full copy overtook it)
            }
            if (seq != t.seq + 1) {
                return false;
            }
            add(peer, t, op);
            t.seq = seq++;
        }
        return true;
    }

    private void add(NodeName peer, RouteTable t, DataMessage.RouteOp op) {
        switch (op.op()) {
            case DataMessage.RouteOp.ADD -> {
                if (t.filters.add(op.filter())) {
                    plain.add(op.filter(), peer);
                }
            }
            case DataMessage.RouteOp.REMOVE -> {
                if (t.filters.remove(op.filter())) {
                    plain.remove(op.filter(), peer);
                }
            }
            case DataMessage.RouteOp.SHARED_ADD -> {
                DataMessage.SharedRoute r = new DataMessage.SharedRoute(op.group(), op.filter());
                if (t.shared.add(r)) {
                    shared.add(op.filter(), new SharedAt(peer, op.group(), op.filter()));
                    sharedIndex.computeIfAbsent(r, k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(peer);
                }
            }
            case DataMessage.RouteOp.SHARED_REMOVE -> {
                DataMessage.SharedRoute r = new DataMessage.SharedRoute(op.group(), op.filter());
                if (t.shared.remove(r)) {
                    shared.remove(op.filter(), new SharedAt(peer, op.group(), op.filter()));
                    unindex(r, peer);
                }
            }
            default -> throw new IllegalArgumentException("route op " + op.op());
        }
    }

    /** Forgets every route of the peer (it went down or left). */
    public synchronized void drop(NodeName peer) {
        RouteTable t = tables.remove(peer);
        if (t == null) {
            return;
        }
        for (String f : t.filters) {
            plain.remove(f, peer);
        }
        for (DataMessage.SharedRoute r : t.shared) {
            shared.remove(r.filter(), new SharedAt(peer, r.group(), r.filter()));
            unindex(r, peer);
        }
    }

    private void unindex(DataMessage.SharedRoute r, NodeName peer) {
        sharedIndex.computeIfPresent(r, (k, nodes) -> {
            nodes.remove(peer);
            return nodes.isEmpty() ? null : nodes;
        });
    }

    /** Whether a full copy of the peer's routes has been applied. */
    public synchronized boolean has(NodeName peer) {
        return tables.containsKey(peer);
    }

    /** The peers with a non-shared filter matching the topic, each once. Any thread. */
    public Set<NodeName> matchNodes(String topic) {
        Set<NodeName> nodes = new HashSet<>(4);
        plain.match(topic, nodes::add);
        return nodes;
    }

    /** Every (peer, group, filter) whose filter matches the topic. Any thread. */
    public void matchShared(String topic, Consumer<SharedAt> sink) {
        shared.match(topic, sink);
    }

    /** The peers that have share group (group, filter). Any thread. */
    public Set<NodeName> sharedNodes(String group, String filter) {
        Set<NodeName> nodes = sharedIndex.get(new DataMessage.SharedRoute(group, filter));
        return nodes == null ? Set.of() : nodes;
    }

    /** Number of routes (filters plus share groups) replicated from the peer, -1 if none. */
    public synchronized int routeCount(NodeName peer) {
        RouteTable t = tables.get(peer);
        return t == null ? -1 : t.filters.size() + t.shared.size();
    }
}

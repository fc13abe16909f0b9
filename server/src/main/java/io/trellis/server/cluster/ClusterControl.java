package io.trellis.server.cluster;

import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.HandshakeFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the management API and {@code ctl} do with the cluster: the node's {@link Cluster} when
 * clustering is allowed, or the reason the node runs alone, which every cluster operation answers
 * with. Never holds or prints the cookie.
 */
public final class ClusterControl implements AutoCloseable {
    /** How long a join may take before the API answers; below ctl's HTTP timeout (15 s). */
    static final Duration JOIN_WAIT = Duration.ofSeconds(12);

    private final String selfName;
    private final Cluster cluster;
    private final String aloneReason;

    private ClusterControl(String selfName, Cluster cluster, String aloneReason) {
        this.selfName = selfName;
        this.cluster = cluster;
        this.aloneReason = aloneReason;
    }

    /** A node in a cluster (possibly of one, until it joins). */
    public static ClusterControl of(Cluster cluster) {
        return new ClusterControl(cluster.self().toString(), cluster, null);
    }

    /** A node that may not cluster, and why (operator words, never the cookie). */
    public static ClusterControl alone(String selfName, String reason) {
        return new ClusterControl(selfName, null, reason);
    }

    public boolean clustered() {
        return cluster != null;
    }

    /** Why the node runs alone; null when it may cluster. */
    public String aloneReason() {
        return aloneReason;
    }

    /** Every known node, this one first; empty when the node runs alone (the caller shows itself). */
    public List<Cluster.NodeStatus> nodes() {
        return cluster == null ? List.of() : cluster.status();
    }

    /**
     * Peers reachable again after a network partition but held apart (cluster.autoheal = false)
     * until {@link #join} of one of them merges; empty when alone.
     */
    public java.util.Set<NodeName> partitioned() {
        return cluster == null ? java.util.Set.of() : cluster.partitioned();
    }

    /** The cluster's ports (distribution and RPC listen rows, dial rows per peer); empty when alone. */
    public List<Cluster.PortInfo> ports() {
        return cluster == null ? List.of() : cluster.ports();
    }

    /**
     * Joins the cluster of {@code nodeText} and waits for the outcome.
     *
     * @throws ClusterJoinException with the reason: a bad name, clustering refused, "cookie mismatch",
     *                              unreachable, no answer in time
     */
    public void join(String nodeText) throws ClusterJoinException {
        NodeName node = parse(nodeText);
        requireClustered();
        if (node.toString().equals(selfName)) {
            throw new ClusterJoinException("cannot join " + node + ": that is this node; name another node of the cluster");
        }
        try {
            cluster.join(node).get(JOIN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof ClusterJoinException j) {
                throw new ClusterJoinException(explained(node, j.getMessage()));
            }
            throw new ClusterJoinException("cannot join " + node + ": " + (cause == null ? e.getMessage() : cause.getMessage()));
        } catch (TimeoutException e) {
            throw new ClusterJoinException("cannot join " + node + ": no answer within " + JOIN_WAIT.toSeconds()
                    + "s; check that the node runs and its port " + node.distPort() + " is reachable from here");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterJoinException("cannot join " + node + ": interrupted");
        }
    }

    /** Leaves the cluster. @throws ClusterJoinException with the reason when the node runs alone */
    public void leave() throws ClusterJoinException {
        requireClustered();
        cluster.leave();
    }

    /**
     * Removes {@code nodeText} from the cluster.
     *
     * @return false when the cluster does not know the node
     * @throws ClusterJoinException for a bad name, this node's own name, or when the node runs alone
     */
    public boolean forceLeave(String nodeText) throws ClusterJoinException {
        NodeName node = parse(nodeText);
        requireClustered();
        if (node.toString().equals(selfName)) {
            throw new ClusterJoinException(node + " is this node; to take it out of the cluster use leave");
        }
        return cluster.forceLeave(node);
    }

    /** "cookie mismatch" -> "cannot join x@h: cookie mismatch (give both nodes the same node.cookie)". */
    static String explained(NodeName node, String reason) {
        String text = reason;
        for (HandshakeFailure f : HandshakeFailure.values()) {
            if (reason.equals(f.words())) {
                text = reason + " (" + f.fix() + ")";
            }
        }
        return reason.contains(node.toString()) ? text : "cannot join " + node + ": " + text;
    }

    private void requireClustered() throws ClusterJoinException {
        if (cluster == null) {
            throw new ClusterJoinException(selfName + " runs alone: " + aloneReason);
        }
    }

    private static NodeName parse(String text) throws ClusterJoinException {
        try {
            return NodeName.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ClusterJoinException(e.getMessage());
        }
    }

    @Override
    public void close() {
        if (cluster != null) {
            cluster.close();
        }
    }
}

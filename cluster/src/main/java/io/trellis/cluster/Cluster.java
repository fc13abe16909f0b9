package io.trellis.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One node's cluster membership and data plane: the distribution channel (membership, route and
 * retained replication, management calls) and the cluster RPC channel (message forwarding), wired
 * to the local broker. CONTRACT: the server codes against these signatures; the data-plane work
 * implements them.
 */
public interface Cluster extends AutoCloseable {

    /** This node's name. */
    NodeName self();

    /**
     * Opens the distribution and RPC listeners. Throws IllegalStateException naming the channel,
     * address and port on a bind failure or port clash.
     */
    void start();

    /**
     * Joins the cluster that {@code node} is in. Completes exceptionally with
     * {@link ClusterJoinException} whose message an operator understands: "cookie mismatch",
     * "unexpected node name", "node x@h is not reachable on h:4371 (connection refused)",
     * "clustering is disabled: ..." — never the cookie.
     */
    CompletableFuture<Void> join(NodeName node);

    /** Leaves the cluster: peers forget this node, this node forgets its routes from peers. */
    void leave();

    /** Removes a node that is down (or up: it is told to leave) from every member's view. */
    boolean forceLeave(NodeName node);

    /** Every known node, this one included. */
    List<NodeStatus> status();

    /**
     * Peers reachable again after a network partition but held apart because
     * {@code cluster.autoheal = false}, until the operator merges ({@link #join} one of them).
     */
    default java.util.Set<NodeName> partitioned() {
        return java.util.Set.of();
    }

    /** Every port this node listens on and dials, for firewall rules ({@code ctl ports}). */
    List<PortInfo> ports();

    @Override
    void close();

    /**
     * @param running   up and connected (or this node)
     * @param version   Trellis version the node runs, null when unknown (down)
     * @param uptimeMs  since the node started, -1 when unknown
     */
    record NodeStatus(NodeName node, boolean running, String version, long uptimeMs, int distPort, int rpcPort) {
    }

    /**
     * @param direction "listen" or "dial"
     * @param address   bind address (listen) or peer host (dial)
     * @param protocol  "tcp" (or "tls" once TLS is on)
     * @param purpose   e.g. "cluster distribution (membership, routes)", "cluster RPC (message forwarding)", "MQTT", "management API"
     * @param peer      the peer node for dial rows, null for listen rows
     */
    record PortInfo(String direction, String address, int port, String protocol, String purpose, String peer) {
    }
}

package io.trellis.cluster;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.trellis.cluster.data.DataMessage;
import io.trellis.cluster.data.LocalRoutes;
import io.trellis.cluster.data.RemoteRoutes;
import io.trellis.cluster.data.RetainedReplica;
import io.trellis.cluster.discovery.Discovery;
import io.trellis.cluster.distribution.Distribution;
import io.trellis.cluster.distribution.MembershipListener;
import io.trellis.cluster.forward.ForwardFrame;
import io.trellis.cluster.forward.ForwardReceiver;
import io.trellis.cluster.forward.PeerForwarder;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeFailedException;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.heal.Partitions;
import io.trellis.cluster.heal.SessionConflict;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.cluster.ClusterBridge;
import io.trellis.mqtt.cluster.SessionState;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Cluster} of one node: distribution (membership; replication of routes, retained
 * messages and the client registry) and cluster RPC (forwarding), wired to the local broker
 * through the seam {@link ClusterBridge}.
 *
 * <p>What happens when: a peer comes up (authenticated distribution connection) -> both sides
 * send NODE_INFO (version, start time, RPC port), their full routes, their retained set and
 * their sessions (CLIENTS_FULL); a
 * NODE_INFO -> an RPC client with {@code rpc.client_num} connections to the peer; a route change
 * here -> a delta to every peer; a publish here -> a FORWARD to each peer with a matching route;
 * a peer goes down or leaves -> its routes and its forwarder are dropped, so nothing is forwarded
 * to it; the QoS 1/2 messages the forwarder held wait a grace time and go again if the same
 * incarnation of the peer comes back (a false node-down), else are dropped and counted.
 *
 * <p>Partitions ({@code cluster.autoheal}, see {@link Partitions}). Distribution reconnects by
 * itself (until autoclean); a peer back with the same start time that saw this node down too
 * (SAW_YOU_DOWN) ran apart from it. With autoheal on, the full exchange runs and reconciles:
 * routes and share groups are the owners' (replaced whole), retained messages keep the newest
 * change (tombstones included), and CLIENTS_FULL leaves one session per client id (the later
 * connection, see {@link SessionConflict}; the losing node disconnects its client with 0x8E and
 * logs why). The cluster config log is not merged: only a majority could commit while apart, so
 * the minority just catches up. With autoheal off the peer is held apart: connected, but only
 * NODE_INFO goes to it, nothing it sends but NODE_INFO, MERGE and the config log is taken, no
 * forwarder; {@link #join} of a held peer merges with every held peer and sends MERGE so they
 * merge too. If the cookie policy refuses clustering the node runs alone: {@link #start} binds
 * nothing and every join fails saying why.
 */
public final class ClusterNode implements Cluster {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    /** QoS 1/2 messages held per RPC connection while a peer is slow or its connection is being re-made. */
    public static final int MAX_HELD_PER_CONNECTION = 10_000;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration TAKEOVER_TIMEOUT = Duration.ofSeconds(5);
    /** How long QoS 1/2 messages held for a peer that went down wait for it to come back unrestarted. */
    static final Duration STRANDED_GRACE = Duration.ofSeconds(30);

    private final ClusterSettings settings;
    private final MqttServer mqtt;
    private final Broker broker;
    private final String version;
    private final long startedAt = System.currentTimeMillis();
    private final InetSocketAddress distBind;
    private final InetSocketAddress rpcBind;
    private final Distribution.Timing timing;
    private final CookiePolicy.Decision decision;
    private final RemoteRoutes remote = new RemoteRoutes();
    private final Map<NodeName, PeerForwarder> forwarders = new ConcurrentHashMap<>();
    private final Map<NodeName, DataMessage.NodeInfoV1> infos = new ConcurrentHashMap<>();
    private final Map<String, Registered> registry = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<SessionState>> takeovers = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong();
    private final Map<String, AtomicInteger> sharedCursors = new ConcurrentHashMap<>();
    private final Map<NodeName, Stranded> stranded = new ConcurrentHashMap<>();
    /** The broker's messages.dropped.forward and messages.forward: so ctl metrics and Prometheus show them. */
    private final LongAdder forwardDropped;
    private final LongAdder forwarded;
    private final Partitions partitions;
    private LocalRoutes local;
    private RetainedReplica retained;
    private EventLoopGroup group;
    private HandshakeSettings handshake;
    private Distribution dist;
    private RpcServer rpcServer;
    private ForwardReceiver receiver;
    private int rpcPort;
    private Discovery discovery;
    /** Resolves peers' host names when dialling: the discovery DNS servers with DNS discovery. */
    private io.netty.resolver.AddressResolverGroup<? extends java.net.SocketAddress> hostResolver;
    private volatile boolean running;

    /** A client id's session and where it lives. */
    record Registered(NodeName node, long connectedAt) {
    }

    /**
     * QoS 1/2 messages the forwarder of a peer held when the peer went down, kept for
     * {@link #STRANDED_GRACE}: if the same incarnation (start time) comes back, it was a false
     * node-down (starved heartbeats, a cut distribution link) and they are forwarded again, so a
     * running node loses none of them; a restarted peer or none at all, and they are dropped and counted.
     */
    private record Stranded(long peerStartedAt, List<ForwardFrame.Entry> entries, io.netty.util.concurrent.Future<?> expiry) {
    }

    /** The configured node: distribution on 4370 + N, RPC per {@code rpc.port_discovery}. */
    public ClusterNode(ClusterSettings settings, MqttServer mqtt, String version) {
        this(settings, mqtt, version, new InetSocketAddress(settings.distBindAddress(), settings.node().distPort()),
                new InetSocketAddress(settings.rpcListenAddress(), settings.node().rpcPort(settings.rpcPortDiscovery(),
                        settings.rpcServerPort())));
    }

    /** With explicit listen addresses (port 0 picks a free port: tests). */
    public ClusterNode(ClusterSettings settings, MqttServer mqtt, String version, InetSocketAddress distBind, InetSocketAddress rpcBind) {
        this.settings = settings;
        this.mqtt = mqtt;
        this.broker = mqtt.broker();
        this.forwardDropped = broker.metrics().messagesDroppedForward;
        this.forwarded = broker.metrics().messagesForward;
        this.version = version;
        this.distBind = distBind;
        this.rpcBind = rpcBind;
        this.timing = new Distribution.Timing(settings.heartbeatInterval(), settings.nodeDownTimeout(), settings.heartbeatInterval(),
                settings.connectTimeout(), settings.autoclean());
        this.decision = settings.clusteringDecision();
        this.partitions = new Partitions(settings.autoheal());
    }

    @Override
    public NodeName self() {
        return settings.node();
    }

    @Override
    public synchronized void start() {
        if (running) {
            throw new IllegalStateException("cluster of " + self() + " already started");
        }
        if (!decision.allowed()) {
            LOG.warn("{}: this node runs alone", decision.reason());
            return;
        }
        group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("trellis-cluster"), NioIoHandler.newFactory());
        handshake = new HandshakeSettings(self(), CookieKey.of(settings.cookie()), settings.authenticationTimeout(),
                new RefusalLog(Duration.ofMinutes(1))).withTransportSecurity(settings.transport());
        dist = new Distribution(handshake, distBind, timing, group);
        dist.usePortPlan(settings.portPlan());
        hostResolver = io.trellis.cluster.discovery.DnsServers.hostResolver(settings);
        dist.useResolver(hostResolver);
        receiver = new ForwardReceiver(broker);
        rpcServer = new RpcServer(handshake, rpcBind, Distribution.MAX_FRAME_BYTES, receiver, group);
        local = new LocalRoutes(this::broadcast);
        retained = new RetainedReplica(broker.retained());
        try {
            dist.start();
            rpcPort = rpcServer.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while starting the cluster of " + self());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        dist.addListener(new MembershipListener() {
            @Override
            public void nodeUp(NodeName node) {
                peerUp(node);
            }

            @Override
            public void connectionReplaced(NodeName node) {
                peerUp(node); // the peer may have dropped what we sent, or dropped all it had from us
            }

            @Override
            public void nodeDown(NodeName node, String reason) {
                peerDown(node);
            }
        });
        dist.addDataListener(this::received);
        Set<DataMessage.SharedRoute> shared = new java.util.HashSet<>();
        for (String key : broker.localSharedRoutes()) {
            int cut = key.indexOf('\u0000');
            shared.add(new DataMessage.SharedRoute(key.substring(0, cut), key.substring(cut + 1)));
        }
        broker.installCluster(new Bridge());
        local.reset(broker.localFilters(), shared);
        running = true;
        discovery = Discovery.start(settings, this, group);
        LOG.info("cluster of {} started: distribution on port {}, RPC on port {}", self(), dist.port(), rpcPort);
    }

    /** Ports after {@link #start} (0 before, or when clustering is refused). */
    public int distPort() {
        return dist == null ? 0 : dist.port();
    }

    public int rpcPort() {
        return rpcPort;
    }

    @Override
    public CompletableFuture<Void> join(NodeName node) {
        if (!running) {
            return refusedJoin();
        }
        if (mergeIfHeld(node)) {
            return CompletableFuture.completedFuture(null);
        }
        return mapJoin(node, dist.join(node), NodeName.socketAddress(node.host(), node.distPort()));
    }

    /** Joins {@code node} reached at {@code address} (its distribution port). */
    public CompletableFuture<Void> join(NodeName node, InetSocketAddress address) {
        if (!running) {
            return refusedJoin();
        }
        if (mergeIfHeld(node)) {
            return CompletableFuture.completedFuture(null);
        }
        return mapJoin(node, dist.join(node, address), address);
    }

    /**
     * The operator's merge after a partition (cluster.autoheal = false): joining a node held apart
     * merges with every node held apart (one partition, one decision); joining a node known from
     * before a partition that is not connected now merges when it connects.
     */
    private boolean mergeIfHeld(NodeName node) {
        if (!partitions.isHeld(node)) {
            if (!dist.upNodes().contains(node)) {
                partitions.mergeRequested(node); // a join of a connected peer must not pre-approve a later partition
            }
            return false;
        }
        Set<NodeName> released = partitions.release();
        LOG.warn("merging with {} after the network partition, as asked (ctl cluster join {}): routes, retained messages and "
                + "sessions are exchanged; the later connection of a client id on both sides wins", released, node);
        for (NodeName peer : released) {
            mergeWith(peer);
        }
        return true;
    }

    private CompletableFuture<Void> refusedJoin() {
        String why = decision.allowed() ? "the cluster of " + self() + " is not started" : "clustering is disabled: " + decision.reason();
        return CompletableFuture.failedFuture(new ClusterJoinException(why));
    }

    private static CompletableFuture<Void> mapJoin(NodeName node, CompletableFuture<NodeName> joining, InetSocketAddress address) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        joining.whenComplete((ok, failure) -> {
            if (failure == null) {
                result.complete(null);
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            String text;
            if (cause instanceof IllegalArgumentException) {
                text = cause.getMessage(); // a port clash or a join of itself, in operator words already
            } else if (cause instanceof HandshakeFailedException h) {
                text = h.reason().words();
            } else if (cause instanceof ConnectException) {
                text = "node " + node + " is not reachable on " + hostPort(address) + " (connection refused)";
            } else if (cause instanceof io.netty.channel.ConnectTimeoutException) {
                text = "node " + node + " is not reachable on " + hostPort(address) + " (connection timed out)";
            } else {
                text = "cannot join " + node + ": " + cause.getMessage();
            }
            result.completeExceptionally(new ClusterJoinException(text));
        });
        return result;
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void leave() {
        if (!running) {
            return;
        }
        dist.leave();
        for (NodeName peer : new ArrayList<>(forwarders.keySet())) {
            peerDown(peer);
        }
        partitions.forgetAll();
    }

    @Override
    public boolean forceLeave(NodeName node) {
        if (!running || node.equals(self())) {
            return false;
        }
        boolean known = dist.forget(node);
        peerDown(node);
        partitions.forget(node);
        return known;
    }

    @Override
    public List<NodeStatus> status() {
        List<NodeStatus> rows = new ArrayList<>();
        rows.add(new NodeStatus(self(), true, version, System.currentTimeMillis() - startedAt, distPort(), rpcPort));
        if (!running) {
            return rows;
        }
        Set<NodeName> up = dist.upNodes();
        for (NodeName n : dist.knownNodes()) {
            DataMessage.NodeInfoV1 info = infos.get(n);
            boolean isUp = up.contains(n);
            int port = dist.address(n).map(InetSocketAddress::getPort).orElse(n.distPort());
            rows.add(new NodeStatus(n, isUp, isUp && info != null ? info.version() : null,
                    isUp && info != null ? System.currentTimeMillis() - info.startedAtMillis() : -1,
                    port, info != null ? info.rpcPort() : -1));
        }
        return rows;
    }

    /** Peers back after a partition and up, but held apart (cluster.autoheal = false) until {@code ctl cluster join}. */
    @Override
    public Set<NodeName> partitioned() {
        Set<NodeName> held = partitions.held();
        held.retainAll(upNodes());
        return held;
    }

    @Override
    public List<PortInfo> ports() {
        List<PortInfo> rows = new ArrayList<>();
        if (!running) {
            return rows;
        }
        rows.add(new PortInfo("listen", distBind.getHostString(), dist.port(), "tcp", "cluster distribution (membership, routes)", null));
        rows.add(new PortInfo("listen", rpcBind.getHostString(), rpcPort, "tcp", "cluster RPC (message forwarding)", null));
        for (NodeName n : dist.knownNodes()) {
            String host = dist.address(n).map(InetSocketAddress::getHostString).orElse(n.host());
            int port = dist.address(n).map(InetSocketAddress::getPort).orElse(n.distPort());
            rows.add(new PortInfo("dial", host, port, "tcp", "cluster distribution (membership, routes)", n.toString()));
            DataMessage.NodeInfoV1 info = infos.get(n);
            int peerRpc = info != null ? info.rpcPort() : n.rpcPort(settings.rpcPortDiscovery(), settings.rpcServerPort());
            rows.add(new PortInfo("dial", host, peerRpc, "tcp", "cluster RPC (message forwarding)", n.toString()));
        }
        if (settings.discovery() == ClusterSettings.DiscoveryStrategy.DNS) {
            String purpose = "DNS discovery (cluster.dns.name)";
            if (settings.dnsServers().isEmpty()) {
                rows.add(new PortInfo("dial", "resolv.conf", 53, "udp,tcp", purpose, null));
            }
            for (InetSocketAddress server : settings.dnsServers()) {
                rows.add(new PortInfo("dial", server.getHostString(), server.getPort(), "udp,tcp", purpose, null));
            }
        }
        return rows;
    }

    /** Messages dropped by forwarding backpressure, full queues or a peer gone. */
    public long forwardDropped() {
        return forwardDropped.sum();
    }

    /** Messages handed to forwarders. */
    public long forwarded() {
        return forwarded.sum();
    }

    /** Messages received from peers over RPC. */
    public long forwardReceived() {
        return receiver == null ? 0 : receiver.received();
    }

    /** Peers whose full routes this node holds. */
    public boolean hasRoutesOf(NodeName peer) {
        return remote.has(peer);
    }

    /** Routes (filters and share groups) replicated from the peer, -1 if none. */
    public int routeCount(NodeName peer) {
        return remote.routeCount(peer);
    }

    /** The node the client id's session was last registered on, if known. */
    public java.util.Optional<NodeName> registeredNode(String clientId) {
        Registered r = registry.get(clientId);
        return r == null ? java.util.Optional.empty() : java.util.Optional.of(r.node());
    }

    /** The distribution channel (null before start or when clustering is refused); for tests in this module. */
    Distribution distribution() {
        return dist;
    }

    /**
     * The channel of the cluster config log over this node's distribution (after {@link #start});
     * a node whose clustering is refused gets a transport with no peers.
     */
    public io.trellis.cluster.conf.ConfTransport confTransport() {
        Distribution d = dist;
        if (d == null) {
            return io.trellis.cluster.conf.ConfTransport.alone(self());
        }
        return new io.trellis.cluster.conf.ConfTransport() {
            @Override
            public NodeName self() {
                return ClusterNode.this.self();
            }

            @Override
            public Set<NodeName> upNodes() {
                return d.upNodes();
            }

            @Override
            public Set<NodeName> knownNodes() {
                return d.knownNodes();
            }

            @Override
            public boolean send(NodeName peer, byte[] body) {
                return d.send(peer, body);
            }

            @Override
            public void listen(Listener listener) {
                d.addDataListener((from, body) -> {
                    if (io.trellis.cluster.conf.ConfMessage.isConf(body)) {
                        listener.received(from, body);
                    }
                });
                d.addListener(new MembershipListener() {
                    @Override
                    public void nodeUp(NodeName node) {
                        listener.peerUp(node);
                    }

                    @Override
                    public void connectionReplaced(NodeName node) {
                        listener.peerUp(node); // what the log sent on the old connection may be lost
                    }

                    @Override
                    public void nodeDown(NodeName node, String reason) {
                    }
                });
            }
        };
    }

    /** Whether a forwarder (RPC client) to the peer exists. */
    public boolean forwardsTo(NodeName peer) {
        return forwarders.containsKey(peer);
    }

    public Set<NodeName> upNodes() {
        return running ? dist.upNodes() : Set.of();
    }

    // ------------------------------------------------------------------ membership and data

    private void broadcast(DataMessage m) {
        if (dist == null) {
            return;
        }
        byte[] body = m.encode();
        for (NodeName peer : dist.upNodes()) {
            if (!partitions.isHeld(peer)) {
                dist.send(peer, body);
            }
        }
    }

    private void send(NodeName peer, DataMessage m) {
        dist.send(peer, m.encode());
    }

    /** Membership thread. */
    private void peerUp(NodeName peer) {
        if (partitions.sawDown(peer)) {
            send(peer, new DataMessage.SawYouDownV1());
        }
        send(peer, new DataMessage.NodeInfoV1(version, startedAt, rpcPort));
        if (!partitions.isHeld(peer)) {
            sendState(peer);
        }
    }

    /** This node's full routes, retained set and sessions: what a peer needs to merge with it. */
    private void sendState(NodeName peer) {
        synchronized (local) {
            send(peer, local.full());
        }
        send(peer, retained.full());
        List<DataMessage.ClientEntry> clients = new ArrayList<>();
        for (Map.Entry<String, Registered> e : registry.entrySet()) {
            if (e.getValue().node().equals(self()) && broker.session(e.getKey()) != null) {
                clients.add(new DataMessage.ClientEntry(e.getKey(), e.getValue().connectedAt()));
            }
        }
        send(peer, new DataMessage.ClientsFullV1(clients));
    }

    /** Ends holding {@code peer} apart: it is told to merge too, gets this node's state and forwarding opens. */
    private void mergeWith(NodeName peer) {
        if (!dist.upNodes().contains(peer)) {
            partitions.mergeRequested(peer); // down again meanwhile: merges when it is back
            return;
        }
        send(peer, new DataMessage.MergeV1());
        sendState(peer);
        DataMessage.NodeInfoV1 info = infos.get(peer);
        if (info != null) {
            openForwarder(peer, info);
        }
    }

    /** Membership thread (or a caller of leave / force-leave). */
    private void peerDown(NodeName peer) {
        if (!running) {
            return; // this node is stopping: close() drops forwarders and held messages, its loops may be gone
        }
        partitions.down(peer);
        remote.drop(peer);
        DataMessage.NodeInfoV1 info = infos.remove(peer);
        PeerForwarder f = forwarders.remove(peer);
        if (f != null) {
            strand(peer, info, f.closeAndTakeHeld());
        }
        registry.values().removeIf(r -> r.node().equals(peer));
    }

    /** Keeps what a closed forwarder held for the peer until it comes back or the grace ends. */
    private void strand(NodeName peer, DataMessage.NodeInfoV1 info, List<ForwardFrame.Entry> held) {
        if (held.isEmpty()) {
            return;
        }
        if (info == null || !running) {
            dropStranded(peer, held.size(), "which is gone");
            return;
        }
        Stranded[] mine = new Stranded[1];
        io.netty.util.concurrent.Future<?> expiry;
        try {
            expiry = group.next().schedule(() -> {
                if (mine[0] != null && stranded.remove(peer, mine[0])) {
                    dropStranded(peer, mine[0].entries().size(), "which did not come back within " + STRANDED_GRACE.toSeconds() + "s");
                }
            }, STRANDED_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            dropStranded(peer, held.size(), "which is gone");
            return;
        }
        Stranded previous = stranded.get(peer);
        List<ForwardFrame.Entry> all = held;
        if (previous != null && previous.peerStartedAt() == info.startedAtMillis() && stranded.remove(peer, previous)) {
            previous.expiry().cancel(false);
            all = new ArrayList<>(previous.entries()); // older: they go first
            all.addAll(held);
        }
        mine[0] = new Stranded(info.startedAtMillis(), all, expiry);
        Stranded replaced = stranded.put(peer, mine[0]);
        if (replaced != null) {
            replaced.expiry().cancel(false);
            dropStranded(peer, replaced.entries().size(), "which restarted");
        }
        LOG.info("keeping {} QoS 1/2 messages held for {} for {}s, should it come back without restarting", all.size(), peer,
                STRANDED_GRACE.toSeconds());
    }

    private void dropStranded(NodeName peer, int n, String why) {
        forwardDropped.add(n);
        LOG.info("dropped {} messages held for {}, {}", n, peer, why);
    }

    /** Membership thread, after the peer's forwarder opened: what was stranded for it goes first. */
    private void unstrand(NodeName peer, DataMessage.NodeInfoV1 info, PeerForwarder f) {
        Stranded s = stranded.remove(peer);
        if (s == null) {
            return;
        }
        s.expiry().cancel(false);
        if (s.peerStartedAt() != info.startedAtMillis()) {
            dropStranded(peer, s.entries().size(), "which restarted");
            return;
        }
        LOG.info("node {} is back without having restarted: forwarding the {} QoS 1/2 messages held for it again", peer,
                s.entries().size());
        for (ForwardFrame.Entry e : s.entries()) {
            f.forward(e.message(), e.group(), e.filter());
        }
    }

    /** Membership thread: one data message from a peer. */
    private void received(NodeName from, byte[] body) {
        if (io.trellis.cluster.conf.ConfMessage.isConf(body)) {
            return; // the cluster config log's own listener (confTransport)
        }
        DataMessage m;
        try {
            m = DataMessage.decode(body);
        } catch (DataMessage.Malformed e) {
            LOG.warn("ignoring a data message from {}: {}", from, e.getMessage());
            return;
        }
        if (m instanceof DataMessage.NodeInfoV1 info) {
            infos.put(from, info);
            if (admitted(from, partitions.nodeInfo(from, info.startedAtMillis()))) {
                openForwarder(from, info);
            }
            return;
        }
        if (m instanceof DataMessage.MergeV1) {
            merged(from);
            return;
        }
        if (m instanceof DataMessage.SawYouDownV1) {
            partitions.peerSawMeDown(from);
            return;
        }
        if (partitions.isHeld(from)) {
            return; // held apart after a partition: nothing of its state is taken until the operator merges
        }
        if (m instanceof DataMessage.RoutesFullV1 full) {
            remote.applyFull(from, full);
        } else if (m instanceof DataMessage.RouteDeltaV1 delta) {
            if (!remote.applyDelta(from, delta)) {
                send(from, new DataMessage.RoutesRequestV1());
            }
        } else if (m instanceof DataMessage.RoutesRequestV1) {
            synchronized (local) {
                send(from, local.full());
            }
        } else if (m instanceof DataMessage.RetainedSetV1 set) {
            retained.apply(set.stamp(), set.message().topic(), set.message());
        } else if (m instanceof DataMessage.RetainedDelV1 del) {
            retained.apply(del.stamp(), del.topic(), null);
        } else if (m instanceof DataMessage.RetainedFullV1 full) {
            for (DataMessage.RetainedEntry e : full.entries()) {
                retained.apply(e.stamp(), e.topic(), e.message());
            }
        } else if (m instanceof DataMessage.ClientRegisteredV1 reg) {
            registry.merge(reg.clientId(), new Registered(from, reg.connectedAtMillis()), ClusterNode::later);
        } else if (m instanceof DataMessage.ClientsFullV1 full) {
            reconcileClients(from, full);
        } else if (m instanceof DataMessage.TakeoverRequestV1 req) {
            takeOverFrom(from, req);
        } else if (m instanceof DataMessage.TakeoverReplyV1 reply) {
            CompletableFuture<SessionState> waiting = takeovers.remove(reply.requestId());
            if (waiting != null) {
                waiting.complete(reply.session());
            }
        }
    }

    /** Membership thread: what a peer's NODE_INFO means after a partition; false while it is held apart. */
    private boolean admitted(NodeName peer, Partitions.Verdict verdict) {
        switch (verdict) {
            case HOLD -> {
                LOG.warn("node {} is reachable again after a network partition, but cluster.autoheal = false keeps the two sides "
                        + "apart: no routes, retained messages or sessions are exchanged and nothing is forwarded between them "
                        + "(the cluster config log still catches up), so a client id may be connected on both sides. To merge, run "
                        + "`bin/trellis ctl cluster join {}` on this node (one command merges every node held apart), or restart "
                        + "the nodes of one side; `ctl cluster status` shows the partition", peer, peer);
                return false;
            }
            case STILL_HELD -> {
                return false;
            }
            case HEALED -> LOG.warn("node {} is reachable again after a network partition: merging (cluster.autoheal = true); "
                    + "a client id connected on both sides keeps its later connection", peer);
            case MERGE_ON_COMMAND -> {
                LOG.warn("node {} is reachable again after a network partition: merging, as asked (ctl cluster join)", peer);
                send(peer, new DataMessage.MergeV1()); // it may hold this node apart: it merges too, then takes our state
                sendState(peer);
            }
            case MERGE -> {
            }
        }
        return true;
    }

    /** Membership thread: {@code from}'s operator merged after a partition; merges with it and any other node held apart. */
    private void merged(NodeName from) {
        if (!partitions.release(from)) {
            return; // not held here: the state it sends next is simply taken
        }
        LOG.warn("node {} merged after the network partition (its operator ran ctl cluster join): merging with it", from);
        sendState(from);
        DataMessage.NodeInfoV1 info = infos.get(from);
        if (info != null) {
            openForwarder(from, info);
        }
        for (NodeName other : partitions.release()) {
            LOG.warn("merging with {} too: one partition, one decision", other);
            mergeWith(other);
        }
    }

    /**
     * Membership thread: {@code from}'s sessions, on a (re)connection. A client id with a session on
     * both nodes (only a partition allows that) keeps the later connection; the node that loses
     * disconnects its client (MQTT 5: DISCONNECT 0x8E session taken over; 3.1.1: the connection
     * closes) and drops the session. Both nodes apply the same rule to the same pair, so exactly one stays.
     */
    private void reconcileClients(NodeName from, DataMessage.ClientsFullV1 full) {
        int lost = 0;
        for (DataMessage.ClientEntry c : full.clients()) {
            Registered theirs = new Registered(from, c.connectedAtMillis());
            Registered mine = registry.get(c.clientId());
            if (mine == null || !mine.node().equals(self()) || broker.session(c.clientId()) == null) {
                registry.merge(c.clientId(), theirs, ClusterNode::later);
                continue;
            }
            if (SessionConflict.wins(mine.connectedAt(), self(), theirs.connectedAt(), from) || !registry.replace(c.clientId(), mine, theirs)) {
                continue; // ours stays (the peer drops its own), or the client connected here again meanwhile
            }
            lost++;
            LOG.info("client {} has a session here (connected at {}) and on {} (connected at {}), as only a partition allows: "
                    + "the later connection wins, so it is disconnected here (session taken over)", c.clientId(),
                    java.time.Instant.ofEpochMilli(mine.connectedAt()), from, java.time.Instant.ofEpochMilli(theirs.connectedAt()));
            broker.exportSession(c.clientId(), true);
        }
        if (lost > 0) {
            LOG.warn("{} client id(s) were connected both here and on {} while the two were apart: the later connection of each "
                    + "won, {} disconnected here with reason session taken over", lost, from, lost);
        }
    }

    /** Of two registrations of one client id, the one that stays: the later connection, then the lower node name. */
    private static Registered later(Registered a, Registered b) {
        return SessionConflict.wins(a.connectedAt(), a.node(), b.connectedAt(), b.node()) ? a : b;
    }

    private void openForwarder(NodeName peer, DataMessage.NodeInfoV1 info) {
        synchronized (forwarders) { // the membership thread and an operator's merge
            openForwarderLocked(peer, info);
        }
    }

    private void openForwarderLocked(NodeName peer, DataMessage.NodeInfoV1 info) {
        if (forwarders.containsKey(peer)) {
            return;
        }
        String host = dist.address(peer).map(InetSocketAddress::getHostString).orElse(peer.host());
        RpcClient rpc = new RpcClient(handshake, peer, NodeName.socketAddress(host, info.rpcPort()), settings.rpcClientNum(),
                Distribution.MAX_FRAME_BYTES, settings.connectTimeout(), group, hostResolver);
        PeerForwarder f = new PeerForwarder(peer, rpc, group.next(), MAX_HELD_PER_CONNECTION, ACK_TIMEOUT, forwardDropped);
        forwarders.put(peer, f);
        unstrand(peer, info, f);
        rpc.connect().whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.warn("cluster RPC to {} failed: {}", peer, failure.getMessage());
            }
        });
    }

    /** Membership thread: {@code from} asks for the session of a client id that connects there. */
    private void takeOverFrom(NodeName from, DataMessage.TakeoverRequestV1 req) {
        registry.put(req.clientId(), new Registered(from, System.currentTimeMillis()));
        broker.exportSession(req.clientId(), req.cleanStart()).whenComplete((state, failure) -> {
            if (failure != null) {
                LOG.warn("exporting the session of {} to {} failed: {}", req.clientId(), from, failure.toString());
            }
            send(from, new DataMessage.TakeoverReplyV1(req.requestId(), failure == null ? state : null));
        });
    }

    // ------------------------------------------------------------------ the bridge the broker calls

    /** Broker threads: never block. */
    private final class Bridge implements ClusterBridge {
        @Override
        public void routeAdded(String filter) {
            local.change(new DataMessage.RouteOp(DataMessage.RouteOp.ADD, filter, null));
        }

        @Override
        public void routeRemoved(String filter) {
            local.change(new DataMessage.RouteOp(DataMessage.RouteOp.REMOVE, filter, null));
        }

        @Override
        public void sharedRouteAdded(String group, String filter) {
            local.change(new DataMessage.RouteOp(DataMessage.RouteOp.SHARED_ADD, filter, group));
        }

        @Override
        public void sharedRouteRemoved(String group, String filter) {
            local.change(new DataMessage.RouteOp(DataMessage.RouteOp.SHARED_REMOVE, filter, group));
        }

        @Override
        public boolean forwardShared(String group, String filter, Message message) {
            Set<NodeName> nodes = remote.sharedNodes(group, filter);
            if (nodes.isEmpty()) {
                return false;
            }
            NodeName pick = pick(group, filter, message, nodes, true);
            if (pick == null) {
                return false; // this node's members
            }
            return forward(pick, message, group, filter);
        }

        @Override
        public int published(Message message) {
            int sent = 0;
            for (NodeName node : remote.matchNodes(message.topic())) {
                if (forward(node, message, null, null)) {
                    sent++;
                }
            }
            // Share groups with no member on this node: forwardShared did not see them.
            Map<DataMessage.SharedRoute, List<NodeName>> groups = null;
            List<RemoteRoutes.SharedAt> matches = new ArrayList<>(0);
            remote.matchShared(message.topic(), matches::add);
            for (RemoteRoutes.SharedAt s : matches) {
                if (local.hasShared(s.group(), s.filter())) {
                    continue;
                }
                if (groups == null) {
                    groups = new HashMap<>();
                }
                groups.computeIfAbsent(new DataMessage.SharedRoute(s.group(), s.filter()), k -> new ArrayList<>()).add(s.node());
            }
            if (groups != null) {
                for (Map.Entry<DataMessage.SharedRoute, List<NodeName>> e : groups.entrySet()) {
                    NodeName pick = pick(e.getKey().group(), e.getKey().filter(), message, e.getValue(), false);
                    if (pick != null && forward(pick, message, e.getKey().group(), e.getKey().filter())) {
                        sent++;
                    }
                }
            }
            return sent;
        }

        @Override
        public void retainedSet(Message message) {
            broadcast(new DataMessage.RetainedSetV1(retained.stampLocal(message.topic()), message));
        }

        @Override
        public void retainedDeleted(String topic) {
            broadcast(new DataMessage.RetainedDelV1(retained.stampLocal(topic), topic));
        }

        @Override
        public CompletionStage<SessionState> connecting(String clientId, boolean cleanStart) {
            long now = System.currentTimeMillis();
            Registered where = registry.put(clientId, new Registered(self(), now));
            broadcast(new DataMessage.ClientRegisteredV1(clientId, now));
            if (where == null || where.node().equals(self()) || !dist.upNodes().contains(where.node())) {
                return CompletableFuture.completedFuture(null);
            }
            long id = nextRequest.incrementAndGet();
            CompletableFuture<SessionState> answer = new CompletableFuture<>();
            takeovers.put(id, answer);
            if (!dist.send(where.node(), new DataMessage.TakeoverRequestV1(id, clientId, cleanStart).encode())) {
                takeovers.remove(id);
                return CompletableFuture.completedFuture(null);
            }
            // The other node may be slow or gone: connect without its session rather than hang.
            group.next().schedule(() -> {
                if (takeovers.remove(id) != null && answer.complete(null)) {
                    LOG.warn("node {} did not hand over the session of {} within {}s; starting without it", where.node(),
                            clientId, TAKEOVER_TIMEOUT.toSeconds());
                }
            }, TAKEOVER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return answer;
        }
    }

    /**
     * Picks where one message of share group (group, filter) goes, by mqtt.shared_subscription_strategy
     * over (this node, if it has members) + the remote nodes with the group; null means this node.
     */
    private NodeName pick(String group, String filter, Message message, java.util.Collection<NodeName> remoteNodes, boolean localToo) {
        List<NodeName> candidates = new ArrayList<>(remoteNodes.size() + 1);
        if (localToo) {
            candidates.add(self());
        }
        remoteNodes.stream().sorted().forEach(candidates::add);
        int n = candidates.size();
        int index = switch (broker.settings().sharedSubscriptionStrategy()) {
            case "random" -> ThreadLocalRandom.current().nextInt(n);
            case "hash_clientid" -> Math.floorMod(message.publisher() == null ? 0 : message.publisher().hashCode(), n);
            case "hash_topic" -> Math.floorMod(message.topic().hashCode(), n);
            // round_robin; sticky picks round robin across nodes, then the node keeps its member.
            default -> Math.floorMod(sharedCursors.computeIfAbsent(group + '\u0000' + filter, k -> new AtomicInteger())
                    .getAndIncrement(), n);
        };
        NodeName chosen = candidates.get(index);
        return chosen.equals(self()) ? null : chosen;
    }

    private boolean forward(NodeName node, Message message, String group, String filter) {
        PeerForwarder f = forwarders.get(node);
        if (f == null) {
            forwardDropped.increment(); // routes known, RPC not yet open (NODE_INFO pending)
            return false;
        }
        forwarded.increment();
        f.forward(message, group, filter);
        return true;
    }

    @Override
    public synchronized void close() {
        running = false;
        if (discovery != null) {
            discovery.close();
        }
        if (broker.cluster() instanceof Bridge) {
            broker.installCluster(ClusterBridge.NONE);
        }
        for (PeerForwarder f : forwarders.values()) {
            f.close();
        }
        forwarders.clear();
        for (NodeName peer : new ArrayList<>(stranded.keySet())) {
            Stranded s = stranded.remove(peer);
            if (s != null) {
                s.expiry().cancel(false);
                dropStranded(peer, s.entries().size(), "as this node stops");
            }
        }
        if (rpcServer != null) {
            rpcServer.close();
        }
        if (dist != null) {
            dist.close();
        }
        if (hostResolver != null && hostResolver != io.netty.resolver.DefaultAddressResolverGroup.INSTANCE) {
            hostResolver.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}

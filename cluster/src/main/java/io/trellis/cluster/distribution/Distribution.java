package io.trellis.cluster.distribution;

import io.netty.bootstrap.Bootstrap;
import io.trellis.mqtt.transport.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.PortPlan;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeCompleted;
import io.trellis.cluster.handshake.HandshakeHandler;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.handshake.Role;
import io.trellis.cluster.transport.ClusterChannelInitializer;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution channel of one node: a full mesh, as Erlang distribution. It listens on its
 * port, dials peers, keeps one authenticated connection per pair of nodes, heartbeats each
 * connection when idle and declares a silent peer down, tells newcomers about the other members
 * so they dial them, reconnects (with a fresh handshake) to a member whose connection dropped,
 * and forgets a member that left or stayed down longer than autoclean.
 *
 * <p>When two nodes dial each other at once, both connections authenticate; the one dialled by
 * the node with the lower name is kept and the other closed, a rule both sides apply alike.
 * In a narrow race one side may see the closed duplicate before the kept connection completes,
 * and report the peer down and up again at once, while the other side only swaps connections:
 * that side tells its listeners {@link MembershipListener#connectionReplaced} so they send again
 * what they sent on node up.
 *
 * <p>Threads: connection events arrive on Netty event loops and change the member table under
 * this object's lock; listeners are called on one membership thread, in order.
 */
public final class Distribution implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Distribution.class);
    /** Largest distribution frame: member lists and, later, route deltas. */
    public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

    /** Timing of heartbeats, node-down detection and reconnection. */
    public record Timing(Duration heartbeatInterval, Duration nodeDownTimeout, Duration reconnectDelay, Duration connectTimeout,
                         Duration autoclean) {
    }

    private final HandshakeSettings handshake;
    private final NodeName self;
    private final InetSocketAddress bind;
    private final Timing timing;
    private final EventLoopGroup group;
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final List<DataListener> dataListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService notifier;
    private final Map<NodeName, Member> members = new HashMap<>();
    /** Peers this node refuses to connect with: a network partition simulated by tests; empty otherwise. */
    private final Set<NodeName> unreachableForTest = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private PortPlan portPlan;
    /** Looks up peers' host names when dialling (Netty's default: the JDK's resolver). */
    private volatile AddressResolverGroup<? extends SocketAddress> resolver = DefaultAddressResolverGroup.INSTANCE;
    private Channel server;
    private int port;
    private boolean stopped;

    /** One peer as this node sees it. Guarded by the Distribution's lock. */
    private static final class Member {
        final NodeName name;
        InetSocketAddress address;
        Channel channel;
        Role role;
        boolean up;
        boolean everUp;
        boolean left;
        boolean dialling;
        long downSinceNanos;
        ScheduledFuture<?> reconnect;

        Member(NodeName name) {
            this.name = name;
        }
    }

    public Distribution(HandshakeSettings handshake, InetSocketAddress bind, Timing timing, EventLoopGroup group) {
        if (timing.nodeDownTimeout().compareTo(timing.heartbeatInterval().multipliedBy(3)) < 0) {
            throw new IllegalArgumentException("cluster.node_down_timeout must be at least 3 x cluster.heartbeat_interval");
        }
        this.handshake = handshake;
        this.self = handshake.self();
        this.bind = bind;
        this.timing = timing;
        this.group = group;
        this.notifier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "trellis-membership-" + self);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The distribution of the configured node: refuses when clustering is not allowed (no
     * cookie, a sample cookie, singleton), listens on {@code node.dist_bind_address} and
     * 4370 + N, and reconnects every heartbeat interval. Call {@link #start} next.
     *
     * @throws IllegalStateException with the reason and the fix when clustering is refused
     */
    public static Distribution create(ClusterSettings settings, EventLoopGroup group) {
        settings.clusteringDecision().requireAllowed();
        HandshakeSettings handshake = new HandshakeSettings(settings.node(), CookieKey.of(settings.cookie()),
                settings.authenticationTimeout(), new RefusalLog(Duration.ofMinutes(1)));
        Timing timing = new Timing(settings.heartbeatInterval(), settings.nodeDownTimeout(), settings.heartbeatInterval(),
                settings.connectTimeout(), settings.autoclean());
        Distribution d = new Distribution(handshake, new InetSocketAddress(settings.distBindAddress(), settings.node().distPort()), timing, group);
        d.portPlan = settings.portPlan();
        return d;
    }

    /**
     * Binds the listening port (port 0 picks a free one) and returns it.
     *
     * @throws IllegalStateException naming the address when it cannot be bound (e.g. in use)
     */
    public int start() throws InterruptedException {
        ChannelFuture bound = new ServerBootstrap().group(group).channelFactory(EventLoops.nioServerChannelFactory(bind))
                .childHandler(ClusterChannelInitializer.forAcceptor(ClusterChannel.DIST, handshake, MAX_FRAME_BYTES,
                        () -> new PeerHandler(this, timing)))
                .bind(bind).await();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("distribution of " + self + " cannot listen on " + bind + ": " + bound.cause().getMessage()
                    + "; another node on this host may map to the same port (see node.name) or change node.dist_bind_address", bound.cause());
        }
        server = bound.channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
        LOG.info("distribution of {} listening on {}", self, server.localAddress());
        return port;
    }

    public NodeName self() {
        return self;
    }

    /** Checks joins against this port plan: a peer whose name maps to this node's ports on this host is refused. */
    public synchronized void usePortPlan(PortPlan plan) {
        this.portPlan = plan;
    }

    /**
     * Looks up peers' host names with {@code resolver} from now on (DNS discovery: the DNS servers
     * that listed the peers, so a name they serve also resolves when the node is dialled again).
     */
    public void useResolver(AddressResolverGroup<? extends SocketAddress> resolver) {
        this.resolver = resolver;
    }

    /** The port distribution listens on (after {@link #start}). */
    public int port() {
        return port;
    }

    public void addListener(MembershipListener listener) {
        listeners.add(listener);
    }

    /** Gets data-plane messages from peers, on the membership thread, in order with node up/down. */
    public void addDataListener(DataListener listener) {
        dataListeners.add(listener);
    }

    /** A data-plane message from a peer. Called on the membership thread; must not block for long. */
    @FunctionalInterface
    public interface DataListener {
        void received(NodeName from, byte[] body);
    }

    /**
     * Sends a data-plane message to {@code peer} if its connection is up; returns false if not.
     * Messages to one peer go out in the order of the calls.
     */
    public boolean send(NodeName peer, byte[] body) {
        Channel ch;
        synchronized (this) {
            Member m = members.get(peer);
            ch = m == null || !m.up ? null : m.channel;
        }
        if (ch == null) {
            return false;
        }
        ch.writeAndFlush(new DistMessage.DataV1(body).encode(ch.alloc()));
        return true;
    }

    void dataReceived(NodeName from, byte[] body) {
        notifier.execute(() -> {
            for (DataListener l : dataListeners) {
                try {
                    l.received(from, body);
                } catch (RuntimeException e) {
                    LOG.error("data message from {} failed in {}", from, l, e);
                }
            }
        });
    }

    /** The address this node dials {@code peer} at, if known. */
    public synchronized Optional<InetSocketAddress> address(NodeName peer) {
        Member m = members.get(peer);
        return m == null || m.address == null ? Optional.empty() : Optional.of(m.address);
    }

    /** Forgets {@code peer} (down or up: an up peer is told to leave). Returns false if unknown. */
    public boolean forget(NodeName peer) {
        Channel ch;
        boolean wasUp;
        synchronized (this) {
            Member m = members.remove(peer);
            if (m == null) {
                return false;
            }
            m.left = true;
            cancelReconnect(m);
            ch = m.channel;
            wasUp = m.up;
            if (wasUp) {
                notifyListeners(l -> l.nodeDown(peer, "removed from the cluster (force-leave)"));
            }
        }
        if (ch != null) {
            ch.writeAndFlush(new DistMessage.LeaveV1().encode(ch.alloc())).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
        return true;
    }

    /**
     * Joins the cluster {@code peer} belongs to, reaching it at its name's host and 4370 + N.
     * Refused when the two names map to the same port on one host.
     */
    public CompletableFuture<NodeName> join(NodeName peer) {
        if (portPlan != null) {
            List<PortPlan.PortClash> clashes = portPlan.clashes(self, List.of(peer));
            if (!clashes.isEmpty()) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("cannot join: " + clashes.get(0).message()));
            }
        }
        return join(peer, NodeName.socketAddress(peer.host(), peer.distPort()));
    }

    /**
     * Joins the cluster {@code peer} belongs to, reaching it at {@code address}. Completes when
     * the connection is authenticated; fails with a {@link io.trellis.cluster.handshake.HandshakeFailedException}
     * (e.g. "cookie mismatch") or the connection error.
     */
    public CompletableFuture<NodeName> join(NodeName peer, InetSocketAddress address) {
        if (peer.equals(self)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(self + " cannot join itself"));
        }
        synchronized (this) {
            if (stopped) {
                return CompletableFuture.failedFuture(new IllegalStateException("distribution of " + self + " has stopped"));
            }
            Member m = members.computeIfAbsent(peer, Member::new);
            m.address = address;
            m.left = false;
            if (m.up) {
                return CompletableFuture.completedFuture(peer);
            }
        }
        return dial(peer, address);
    }

    /** Leaves the cluster: tells every peer, closes the connections, forgets the members. */
    public void leave() {
        List<Channel> channels = new ArrayList<>();
        synchronized (this) {
            for (Member m : members.values()) {
                m.left = true; // no reconnection
                cancelReconnect(m);
                if (m.channel != null) {
                    channels.add(m.channel);
                }
            }
        }
        for (Channel ch : channels) {
            ch.writeAndFlush(new DistMessage.LeaveV1().encode(ch.alloc())).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
    }

    /** Nodes with an authenticated connection now. */
    public synchronized Set<NodeName> upNodes() {
        Set<NodeName> up = new TreeSet<>();
        for (Member m : members.values()) {
            if (m.up) {
                up.add(m.name);
            }
        }
        return up;
    }

    /** Members known, up or down (and not yet cleaned). */
    public synchronized Set<NodeName> knownNodes() {
        return new TreeSet<>(members.keySet());
    }

    /** Which side dialled the connection kept to {@code peer}, if it is up. */
    public synchronized Optional<Role> connectionRole(NodeName peer) {
        Member m = members.get(peer);
        return m == null || !m.up ? Optional.empty() : Optional.of(m.role);
    }

    private CompletableFuture<NodeName> dial(NodeName peer, InetSocketAddress address) {
        synchronized (this) {
            Member m = members.get(peer);
            if (m != null) {
                m.dialling = true;
            }
        }
        CompletableFuture<NodeName> joined = new CompletableFuture<>();
        ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class).resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timing.connectTimeout().toMillis()))
                .handler(ClusterChannelInitializer.forDialler(ClusterChannel.DIST, handshake, peer, MAX_FRAME_BYTES,
                        () -> new PeerHandler(this, timing)))
                .connect(address);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                dialFailed(peer, f.cause());
                joined.completeExceptionally(f.cause());
                return;
            }
            HandshakeHandler.result(connect.channel()).whenComplete((done, failure) -> {
                if (failure != null) {
                    dialFailed(peer, failure);
                    joined.completeExceptionally(failure);
                } else {
                    joined.complete(done.peer());
                }
            });
        });
        return joined;
    }

    private synchronized void dialFailed(NodeName peer, Throwable cause) {
        Member m = members.get(peer);
        if (m == null) {
            return;
        }
        m.dialling = false;
        if (m.up || m.left || stopped) {
            return;
        }
        if (!m.everUp && m.channel == null && m.downSinceNanos == 0) {
            // An explicit join that never succeeded: forget it, the caller has the error.
            members.remove(peer);
            return;
        }
        LOG.debug("reconnecting to {} failed: {}", peer, cause.toString());
        scheduleReconnect(m);
    }

    /** A handshake on {@code ch} completed (either role). Called on the channel's event loop. */
    void connected(HandshakeCompleted completed, Channel ch) {
        NodeName peer = completed.peer();
        boolean nowUp;
        boolean replaced = false;
        Channel loser = null;
        synchronized (this) {
            if (stopped || peer.equals(self)) {
                loser = ch;
                nowUp = false;
            } else if (unreachableForTest.contains(peer)) {
                // A simulated partition: as if the connection had never got through. Closing it
                // reaches disconnected(), which schedules the next attempt.
                Member m = members.get(peer);
                if (m != null) {
                    m.dialling = false;
                }
                loser = ch;
                nowUp = false;
            } else {
                Member m = members.computeIfAbsent(peer, Member::new);
                m.left = false;
                m.dialling = false;
                cancelReconnect(m);
                if (m.channel != null && m.channel != ch && m.channel.isActive()) {
                    // Both nodes dialled: keep the connection dialled by the lower name.
                    NodeName diallerOfNew = completed.localRole() == Role.DIALLER ? self : peer;
                    NodeName winner = self.compareTo(peer) < 0 ? self : peer;
                    if (diallerOfNew.equals(winner)) {
                        loser = m.channel;
                        m.channel = ch;
                        m.role = completed.localRole();
                        replaced = m.up;
                    } else {
                        loser = ch;
                    }
                    nowUp = false;
                } else {
                    // An up peer whose old connection is closed but not yet reported: replaced too.
                    replaced = m.up && m.channel != null && m.channel != ch;
                    m.channel = ch;
                    m.role = completed.localRole();
                    nowUp = !m.up;
                    m.up = true;
                    m.everUp = true;
                    m.downSinceNanos = 0;
                    if (nowUp) {
                        notifyListeners(l -> l.nodeUp(peer));
                    }
                }
                if (replaced) {
                    // What this side sent on the old connection may be lost, and the peer may
                    // have seen it up and then down (dropping all it had from us) while this side
                    // saw no down: listeners send their state again on the kept connection.
                    notifyListeners(l -> l.connectionReplaced(peer));
                }
            }
        }
        if (loser != null) {
            loser.close();
        }
        if (nowUp) {
            LOG.info("node {} is up ({} connection)", peer, completed.localRole() == Role.DIALLER ? "outgoing" : "incoming");
            broadcastMembers();
        } else if (loser != ch) {
            if (replaced) {
                LOG.debug("connection to {} replaced by the {} one", peer, completed.localRole() == Role.DIALLER ? "outgoing" : "incoming");
            }
            sendMembers(ch);
        }
    }

    /** {@code ch}, authenticated to {@code peer}, closed; {@code reason} in operator words. */
    void disconnected(NodeName peer, Channel ch, String reason) {
        boolean nowDown = false;
        String why = reason;
        synchronized (this) {
            Member m = members.get(peer);
            if (m == null || m.channel != ch) {
                // A duplicate connection we closed, or already replaced. Should no connection be
                // left either, a member not up is still retried (scheduleReconnect skips it while dialling).
                if (m != null && !m.up && m.channel == null && !m.left && !stopped) {
                    scheduleReconnect(m);
                }
                return;
            }
            m.channel = null;
            if (m.up) {
                m.up = false;
                m.downSinceNanos = System.nanoTime();
                nowDown = true;
            }
            if (m.left) {
                why = "left the cluster";
                members.remove(peer);
            } else if (!stopped) {
                scheduleReconnect(m);
            }
            if (nowDown) {
                String finalWhy = why;
                notifyListeners(l -> l.nodeDown(peer, finalWhy));
            }
        }
        if (nowDown) {
            LOG.warn("node {} is down: {}", peer, why);
        }
    }

    /** {@code peer} said it leaves. */
    synchronized void peerLeaves(NodeName peer) {
        Member m = members.get(peer);
        if (m != null) {
            m.left = true;
            cancelReconnect(m);
        }
    }

    /** {@code from} told us the members it knows; dial those we do not. */
    void membersReceived(NodeName from, DistMessage.MembersV1 message) {
        List<Member> toDial = new ArrayList<>();
        boolean learnedAddress = false;
        synchronized (this) {
            if (stopped) {
                return;
            }
            for (DistMessage.Member entry : message.members()) {
                if (entry.name().equals(self)) {
                    continue;
                }
                Member m = members.get(entry.name());
                InetSocketAddress address = NodeName.socketAddress(entry.name().host(), entry.port());
                if (m == null) {
                    m = new Member(entry.name());
                    m.address = address;
                    m.downSinceNanos = System.nanoTime(); // known, not yet up: retried until autoclean
                    members.put(entry.name(), m);
                    toDial.add(m);
                } else {
                    if (entry.name().equals(from) || m.address == null) {
                        if (m.up && m.address == null) {
                            // An acceptor learns a peer's port only now: peers told of the members
                            // before did not hear of this one (joins at the same moment), so tell them again.
                            learnedAddress = true;
                        }
                        m.address = address; // the node's own word on its port wins
                    }
                    if (!m.up && !m.left && !m.dialling && m.reconnect == null) {
                        toDial.add(m); // known but not up and nobody dialling: dial again
                    }
                }
            }
            for (Member m : toDial) {
                m.dialling = true;
            }
        }
        for (Member m : toDial) {
            dial(m.name, m.address);
        }
        if (learnedAddress) {
            broadcastMembers();
        }
    }

    private void broadcastMembers() {
        List<Channel> channels = new ArrayList<>();
        synchronized (this) {
            for (Member m : members.values()) {
                if (m.up && m.channel != null) {
                    channels.add(m.channel);
                }
            }
        }
        for (Channel ch : channels) {
            sendMembers(ch);
        }
    }

    private void sendMembers(Channel ch) {
        List<DistMessage.Member> list = new ArrayList<>();
        synchronized (this) {
            list.add(new DistMessage.Member(self, port));
            for (Member m : members.values()) {
                if (m.up && m.address != null) {
                    list.add(new DistMessage.Member(m.name, m.address.getPort()));
                }
            }
        }
        ch.writeAndFlush(new DistMessage.MembersV1(list).encode(ch.alloc()));
    }

    private void scheduleReconnect(Member m) {
        if (m.reconnect != null || m.dialling || m.address == null) {
            return;
        }
        if (m.downSinceNanos != 0 && System.nanoTime() - m.downSinceNanos > timing.autoclean().toNanos()) {
            LOG.warn("node {} has been down longer than cluster.autoclean ({}): removed from the cluster", m.name, timing.autoclean());
            members.remove(m.name);
            return;
        }
        m.reconnect = group.next().schedule(() -> {
            InetSocketAddress address;
            synchronized (this) {
                m.reconnect = null;
                if (stopped || m.up || m.left || members.get(m.name) != m) {
                    return;
                }
                m.dialling = true;
                address = m.address;
            }
            dial(m.name, address);
        }, timing.reconnectDelay().toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void cancelReconnect(Member m) {
        if (m.reconnect != null) {
            m.reconnect.cancel(false);
            m.reconnect = null;
        }
    }

    /**
     * Queues a membership event. Called under this object's lock, in the same critical section
     * as the member table change: up and down come from different event loops (the old
     * connection closing, the new one authenticated), and queued outside the lock a down could
     * overtake the up that followed it, leaving listeners with the peer down while it is up.
     */
    private void notifyListeners(java.util.function.Consumer<MembershipListener> call) {
        notifier.execute(() -> {
            for (MembershipListener l : listeners) {
                try {
                    call.accept(l);
                } catch (RuntimeException e) {
                    LOG.error("membership listener {} failed", l, e);
                }
            }
        });
    }

    /** Closes the connection to {@code peer} as a network failure would; for tests of reconnection. */
    void dropConnectionForTest(NodeName peer) {
        Channel ch;
        synchronized (this) {
            Member m = members.get(peer);
            ch = m == null ? null : m.channel;
        }
        if (ch != null) {
            ch.close();
        }
    }

    /**
     * Tests only: simulates a network partition from {@code peers}, or its end. While cut, the
     * connections to them are closed and every new one is dropped once authenticated, as if the
     * network lost it; both sides keep retrying (until autoclean), so ending the cut heals by itself.
     */
    void unreachableForTest(Set<NodeName> peers, boolean cut) {
        if (!cut) {
            unreachableForTest.removeAll(peers);
            return;
        }
        unreachableForTest.addAll(peers);
        for (NodeName peer : peers) {
            dropConnectionForTest(peer);
        }
    }

    /** Stops without telling peers (they see the connections close, as for a crash). */
    @Override
    public void close() {
        List<Channel> channels = new ArrayList<>();
        synchronized (this) {
            stopped = true;
            for (Member m : members.values()) {
                cancelReconnect(m);
                if (m.channel != null) {
                    channels.add(m.channel);
                }
            }
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        notifier.shutdown();
    }
}

package io.trellis.mqtt.broker;

import io.trellis.mqtt.cluster.ClusterBridge;
import io.trellis.mqtt.cluster.LocalRouteCounter;
import io.trellis.mqtt.topic.RetainedStore;
import io.trellis.mqtt.topic.SubscriptionTree;
import io.trellis.mqtt.topic.TopicFilter;
import io.netty.util.concurrent.EventExecutor;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's router and session registry: the subscription tree, share groups, retained
 * messages, and the sessions by client id. Routing is lock-free; only connect, session end and
 * takeover take the registry lock (rare, never per message).
 */
public final class Broker {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** MQTT 5 session expiry 0xFFFFFFFF: the session never expires. */
    public static final long NEVER_EXPIRES = 0xFFFFFFFFL;

    private final BrokerSettings settings;
    private final BrokerMetrics metrics = new BrokerMetrics();
    private volatile io.trellis.mqtt.auth.AccessControl accessControl = io.trellis.mqtt.auth.AccessControl.ALLOW_ALL;
    /** The rule engine seam: a no-op until one is installed (one volatile read per message). */
    private volatile io.trellis.mqtt.rules.PublishListener publishListener = io.trellis.mqtt.rules.PublishListener.NONE;
    private final SubscriptionTree<Route> tree = new SubscriptionTree<>();
    private final RetainedStore<Message> retained = new RetainedStore<>();
    private final ConcurrentHashMap<String, SharedGroup> sharedGroups = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final Object registryLock = new Object();
    private final BrokerMetrics.Gauge subscriptionsCount = new BrokerMetrics.Gauge();
    /** The cluster seam: a no-op until a cluster is installed, so a single node is unchanged. */
    private volatile ClusterBridge cluster = ClusterBridge.NONE;
    private final LocalRouteCounter clusterRoutes = new LocalRouteCounter(() -> cluster);

    public Broker(BrokerSettings settings) {
        this.settings = settings;
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    /** Who may connect, publish and subscribe; allow-all until the server sets the node's. */
    public io.trellis.mqtt.auth.AccessControl accessControl() {
        return accessControl;
    }

    public void accessControl(io.trellis.mqtt.auth.AccessControl accessControl) {
        if (accessControl == null) throw new IllegalArgumentException("accessControl is required");
        this.accessControl = accessControl;
    }

    Logger log() {
        return LOG;
    }

    // ------------------------------------------------------------------ routing

    /**
     * Any thread: routes a message to every matching subscription; returns the number of receivers.
     * Overlapping subscriptions of one client each get their own copy, with their own QoS and
     * subscription identifier (MQTT 5 section 3.3.4 allows this; EMQX does the same), rather than
     * one copy at the highest QoS.
     */
    public int publish(Message message) {
        metrics.messagesReceived.increment();
        metrics.qosReceived[message.qos()].increment();
        publishListener.published(message);

        if (message.retain() && settings.retainAvailable()) {
            if (message.payload().length == 0) {
                retained.remove(message.topic());
                cluster.retainedDeleted(message.topic());
            } else {
                retained.put(message.topic(), message);
                metrics.messagesRetained.increment();
                cluster.retainedSet(message);
            }
        }
        int[] receivers = {0};
        ClusterBridge c = cluster;
        DeliveryBatch batch = DeliveryBatch.begin();
        try {
            tree.match(message.topic(), route -> {
                // A share group spanning nodes: the cluster may pick a member on another node.
                if (route instanceof SharedGroup g && c.forwardShared(g.group, g.filter, message)) {
                    receivers[0]++;
                } else {
                    receivers[0] += route.deliver(message);
                }
            });
        } finally {
            batch.end();
        }
        receivers[0] += c.published(message);
        if (receivers[0] == 0) {
            metrics.messagesDroppedNoSubscribers.increment();
            metrics.messagesDropped.increment();
        }
        return receivers[0];
    }

    /** Loop of the subscriber: retained messages for a new subscription (not for shared ones). */
    public void deliverRetained(Subscription sub) {
        long now = System.currentTimeMillis();
        retained.match(sub.filter().filter(), m -> {
            if (!m.expired(now)) sub.session().deliverRetained(m, sub);
        });
    }

    void addRoute(Subscription sub) {
        TopicFilter f = sub.filter();
        if (f.isShared()) {
            String key = f.shareGroup() + '\u0000' + f.filter();
            sharedGroups.compute(key, (k, group) -> {
                if (group == null) {
                    group = new SharedGroup(f.shareGroup(), f.filter(), settings.sharedSubscriptionStrategy());
                    tree.add(f.filter(), group);
                    cluster.sharedRouteAdded(f.shareGroup(), f.filter());
                }
                group.add(sub);
                return group;
            });
        } else {
            tree.add(f.filter(), sub);
            clusterRoutes.added(f.filter());
        }
        subscriptionsCount.increment();
    }

    void removeRoute(Subscription sub) {
        TopicFilter f = sub.filter();
        if (f.isShared()) {
            String key = f.shareGroup() + '\u0000' + f.filter();
            sharedGroups.computeIfPresent(key, (k, group) -> {
                if (group.remove(sub)) {
                    tree.remove(f.filter(), group);
                    cluster.sharedRouteRemoved(f.shareGroup(), f.filter());
                    return null;
                }
                return group;
            });
        } else {
            if (tree.remove(f.filter(), sub)) clusterRoutes.removed(f.filter());
        }
        subscriptionsCount.decrement();
    }

    // ------------------------------------------------------------------ sessions

    /** The outcome of a CONNECT's claim on a client id. */
    public record Claim(Session session, boolean present, Object previousOwner, Session discarded) {
    }

    /**
     * Claims the session of clientId for owner: a new one on cleanStart or when none exists, else
     * the existing one (whose previous owner, if any, must be disconnected: takeover).
     */
    public Claim claim(String clientId, boolean cleanStart, Object owner, EventExecutor loop) {
        synchronized (registryLock) {
            Session existing = sessions.get(clientId);
            Object previousOwner = existing == null ? null : existing.owner;
            if (existing != null && !cleanStart && !existing.destroyed()) {
                existing.owner = owner;
                metrics.sessionResumed.increment();
                return new Claim(existing, true, previousOwner, null);
            }
            Session fresh = new Session(this, clientId, loop);
            fresh.owner = owner;
            sessions.put(clientId, fresh);
            metrics.sessionCreated.increment();
            metrics.sessions.increment();
            if (existing != null) {
                existing.owner = null;
                metrics.sessions.decrement();
                metrics.sessionDiscarded.increment();
            }
            return new Claim(fresh, false, previousOwner, existing);
        }
    }

    /**
     * Session's loop: the owner's connection closed. Ends the session now if its expiry is 0,
     * else schedules its end. Returns true if the session ended now.
     */
    public boolean release(Session session, Object owner) {
        synchronized (registryLock) {
            if (session.owner != owner) return false; // taken over: the new owner has it
            session.owner = null;
        }
        long expiry = session.expirySeconds;
        if (expiry == 0) {
            end(session);
            return true;
        }
        if (expiry < NEVER_EXPIRES) {
            session.scheduleExpiry(expiry, () -> expireIfAway(session));
        }
        return false;
    }

    private void expireIfAway(Session session) {
        synchronized (registryLock) {
            if (session.owner != null || sessions.get(session.clientId()) != session) return;
        }
        end(session);
    }

    /** Session's loop: removes and destroys the session if it is still registered. */
    void end(Session session) {
        boolean removed;
        synchronized (registryLock) {
            removed = sessions.remove(session.clientId(), session);
        }
        if (removed) {
            metrics.sessions.decrement();
            metrics.sessionTerminated.increment();
        }
        session.destroy();
    }

    /** Whether session is still the registered, unowned session of its client (for will delay). */
    public boolean awayAndCurrent(Session session) {
        synchronized (registryLock) {
            return session.owner == null && sessions.get(session.clientId()) == session;
        }
    }

    /** Moves a resumed session to the new owner's loop, then runs next there. Session's loop. */
    public void handOver(Session session, EventExecutor to, Runnable next) {
        EventExecutor from = session.executor();
        Runnable move = () -> {
            session.moveTo(to);
            to.execute(next);
        };
        if (from.inEventLoop()) move.run();
        else from.execute(move);
    }

    /** Discards a session replaced by a clean start, on its loop. */
    public void discard(Session session) {
        session.executor().execute(session::destroy);
    }

    public Session session(String clientId) {
        return sessions.get(clientId);
    }

    public Collection<Session> sessions() {
        return sessions.values();
    }

    /** Removes the session from the registry for a kick; returns its owner (may be null). */
    Object kick(Session session) {
        synchronized (registryLock) {
            if (!sessions.remove(session.clientId(), session)) return null;
            Object owner = session.owner;
            session.owner = null;
            metrics.sessions.decrement();
            metrics.sessionTerminated.increment();
            return owner;
        }
    }

    // ------------------------------------------------------------------ cluster seam

    /** Installs the cluster; {@link ClusterBridge#NONE} uninstalls it. */
    public void installCluster(ClusterBridge bridge) {
        cluster = bridge == null ? ClusterBridge.NONE : bridge;
    }

    public ClusterBridge cluster() {
        return cluster;
    }

    /** Any thread: a message another node forwarded; delivered to local non-shared subscriptions only. */
    public int deliverForwarded(Message message) {
        int[] receivers = {0};
        DeliveryBatch batch = DeliveryBatch.begin();
        try {
            tree.match(message.topic(), route -> {
                if (!(route instanceof SharedGroup)) receivers[0] += route.deliver(message);
            });
        } finally {
            batch.end();
        }
        return receivers[0];
    }

    /**
     * Any thread: runs {@code deliveries} (calls to {@link #deliverForwarded} and
     * {@link #deliverShared}, e.g. for every message of a forwarded frame) as one delivery batch:
     * what they deliver to sessions on other event loops goes as one task per loop, in order,
     * instead of one task per message. Returns the number of loops handed a task;
     * {@code whenDelivered} runs once each of them has run its task (on the last one), and not at
     * all when none was handed one (0 returned). Not to be called from inside another batch.
     * The caller bounds how many of its deliveries wait on the loops (it is told when they ran):
     * sessions do not drop its QoS 0 deliveries at their own hand-off bound, though they count them.
     */
    public int deliverBatch(Runnable deliveries, Runnable whenDelivered) {
        DeliveryBatch batch = DeliveryBatch.beginWindowed(); // the caller's window bounds the hand-off
        try {
            deliveries.run();
        } catch (RuntimeException | Error e) {
            batch.end(); // what was gathered is still handed over; nobody waits for it
            throw e;
        }
        return batch.end(whenDelivered);
    }

    /** Any thread: a message another node picked this node for; one member of the local group gets it. */
    public int deliverShared(String group, String filter, Message message) {
        SharedGroup g = sharedGroups.get(group + '\u0000' + filter);
        return g == null ? 0 : g.deliver(message);
    }

    /** Filters of this node's non-shared subscriptions (the routes this node owns). */
    public java.util.Set<String> localFilters() {
        return clusterRoutes.filters();
    }

    /** (group, filter) of this node's share groups, as {@code group + '\u0000' + filter}. */
    public java.util.Set<String> localSharedRoutes() {
        return java.util.Set.copyOf(sharedGroups.keySet());
    }

    /**
     * Any thread: another node takes the session of clientId over. Its connection here (if any)
     * is closed with MQTT 5 reason 0x8E, the session leaves this node, and the future completes
     * with its state (null if there is none, or when {@code discard} (clean start)).
     */
    public java.util.concurrent.CompletableFuture<io.trellis.mqtt.cluster.SessionState> exportSession(String clientId, boolean discard) {
        java.util.concurrent.CompletableFuture<io.trellis.mqtt.cluster.SessionState> out = new java.util.concurrent.CompletableFuture<>();
        Session s = sessions.get(clientId);
        if (s == null) {
            out.complete(null);
            return out;
        }
        Object owner = kick(s);
        if (owner instanceof SessionOwner o) o.takenOver();
        exportOnLoop(s, discard, out);
        return out;
    }

    private void exportOnLoop(Session s, boolean discard, java.util.concurrent.CompletableFuture<io.trellis.mqtt.cluster.SessionState> out) {
        EventExecutor ex = s.executor();
        ex.execute(() -> {
            if (!s.executor().inEventLoop()) { // moved meanwhile
                exportOnLoop(s, discard, out);
                return;
            }
            try {
                io.trellis.mqtt.cluster.SessionState state = discard || s.destroyed() ? null : s.exportState();
                s.destroy();
                out.complete(state);
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
    }

    /**
     * Loop (the connecting client's): registers a session taken over from another node, with its
     * subscriptions and pending messages, for the CONNECT that follows to resume. Does nothing if
     * this node already has a session for the client id.
     */
    public void importSession(io.trellis.mqtt.cluster.SessionState state, EventExecutor loop) {
        Session s;
        synchronized (registryLock) {
            if (sessions.containsKey(state.clientId())) return;
            s = new Session(this, state.clientId(), loop);
            sessions.put(state.clientId(), s);
            metrics.sessions.increment();
        }
        s.setExpirySeconds(state.expirySeconds());
        for (io.trellis.mqtt.cluster.SessionState.SubscriptionState sub : state.subscriptions()) {
            try {
                TopicFilter f = TopicFilter.parse(sub.filter(), Integer.MAX_VALUE);
                s.subscribe(new Subscription(s, f, sub.qos(), sub.noLocal(), sub.retainAsPublished(), sub.retainHandling(),
                        sub.subscriptionId()));
            } catch (io.trellis.mqtt.topic.InvalidTopicException e) {
                LOG.warn("session of {} taken over with an invalid filter: {}", state.clientId(), e.getMessage());
            }
        }
        for (io.trellis.mqtt.cluster.SessionState.PendingMessage p : state.pending()) {
            s.enqueueImported(p.message(), p.qos(), p.retain(), p.subscriptionId());
        }
    }

    public SubscriptionTree<Route> tree() {
        return tree;
    }

    public RetainedStore<Message> retained() {
        return retained;
    }

    long subscriptionsCount() {
        return subscriptionsCount.value();
    }

    long subscriptionsMax() {
        return subscriptionsCount.max();
    }

    /** Installs the rule engine seam; {@link io.trellis.mqtt.rules.PublishListener#NONE} uninstalls it. */
    public void installPublishListener(io.trellis.mqtt.rules.PublishListener listener) {
        publishListener = listener == null ? io.trellis.mqtt.rules.PublishListener.NONE : listener;
    }
}

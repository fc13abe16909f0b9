package io.trellis.mqtt.broker;

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
    private final SubscriptionTree<Route> tree = new SubscriptionTree<>();
    private final RetainedStore<Message> retained = new RetainedStore<>();
    private final ConcurrentHashMap<String, SharedGroup> sharedGroups = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final Object registryLock = new Object();
    private final BrokerMetrics.Gauge subscriptionsCount = new BrokerMetrics.Gauge();

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
        if (message.retain() && settings.retainAvailable()) {
            if (message.payload().length == 0) {
                retained.remove(message.topic());
            } else {
                retained.put(message.topic(), message);
                metrics.messagesRetained.increment();
            }
        }
        int[] receivers = {0};
        DeliveryBatch batch = DeliveryBatch.begin();
        try {
            tree.match(message.topic(), route -> receivers[0] += route.deliver(message));
        } finally {
            batch.end(message);
        }
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
                }
                group.add(sub);
                return group;
            });
        } else {
            tree.add(f.filter(), sub);
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
                    return null;
                }
                return group;
            });
        } else {
            tree.remove(f.filter(), sub);
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
}

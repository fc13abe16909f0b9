package io.trellis.mqtt.broker;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One client's MQTT session: subscriptions, outbound QoS 1/2 in flight, the offline / overflow
 * queue, inbound QoS 2 awaiting PUBREL, packet ids.
 *
 * <p>Thread confinement: all state is touched only on {@link #executor()}, the event loop of the
 * connection that owns the session (or of the last one, while the client is away). Deliveries
 * from other threads hop onto it ({@link #offer}). When a session moves to another connection the
 * executor changes and stragglers hop again. Collections are allocated lazily: an idle client
 * with no QoS 1/2 traffic costs a few fields.
 */
public final class Session {
    private final Broker broker;
    private final String clientId;
    private volatile EventExecutor executor;
    private volatile boolean connected;

    /** Claimed by the connection that owns it; guarded by the broker's registry lock. */
    volatile Object owner;

    // --- loop-confined state
    private Channel channel;
    private int protocolVersion;
    private int sendWindow;
    private int clientMaxPacketSize = Integer.MAX_VALUE;
    /** QoS 0 may share one encoding across subscribers (off for test channels that read messages). */
    private boolean sharedEncoding;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>(4);
    private LinkedHashMap<Integer, InFlight> inflight;
    private ArrayDeque<Queued> queue;
    private HashMap<Integer, Long> awaitingRel;
    private int nextPacketId = 1;
    private ScheduledFuture<?> retryTimer;
    private ScheduledFuture<?> expiryTimer;
    private boolean destroyed;

    // --- for snapshots (read racily by the admin API)
    volatile long expirySeconds;
    volatile ClientSnapshot snapshot;
    volatile long disconnectedAt;
    private volatile long mqueueDropped;
    private volatile long recvMsg;
    private volatile long sendMsg;

    // --- the cross-loop hand-off (any thread)
    /** Floor of {@link #handOffLimit()}, for a max_mqueue_len of 0 or a few. */
    static final int MIN_HAND_OFF_LIMIT = 1000;
    /** Deliveries handed to {@link #executor} from other threads and not yet run. */
    private final java.util.concurrent.atomic.AtomicInteger handOffs = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int handOffPeak;

    /** What the admin API shows of the last connection. */
    /** Kept small per connection: the peer address is the channel's own object, strings made on demand. */
    public record ClientSnapshot(String username, java.net.SocketAddress peer, String listener,
                                 int protoVer, int keepalive, boolean cleanStart, long connectedAt) {
        String ipAddress() {
            return peer instanceof java.net.InetSocketAddress a && a.getAddress() != null
                    ? a.getAddress().getHostAddress() : "";
        }

        int port() {
            return peer instanceof java.net.InetSocketAddress a ? a.getPort() : 0;
        }

        String protoName() {
            return protoVer == 3 ? "MQIsdp" : "MQTT";
        }
    }

    private static final class InFlight {
        final Message message;
        final int qos;
        final boolean retain;
        final int subscriptionId;
        boolean released; // QoS 2: PUBREC received, PUBREL sent
        long sentAt;

        InFlight(Message message, int qos, boolean retain, int subscriptionId) {
            this.message = message;
            this.qos = qos;
            this.retain = retain;
            this.subscriptionId = subscriptionId;
        }
    }

    private record Queued(Message message, int qos, boolean retain, int subscriptionId) {
    }

    Session(Broker broker, String clientId, EventExecutor executor) {
        this.broker = broker;
        this.clientId = clientId;
        this.executor = executor;
    }

    public String clientId() {
        return clientId;
    }

    public Broker broker() {
        return broker;
    }

    public EventExecutor executor() {
        return executor;
    }

    /** The connection owning the session, or null while away (a snapshot). */
    public Object owner() {
        return owner;
    }

    public boolean connected() {
        return connected;
    }

    // ------------------------------------------------------------------ delivery

    /**
     * Any thread: delivers on the session's loop. A delivery from another thread is handed over
     * as a task (or part of a {@link DeliveryBatch} task) and counted in {@link #handOffs} until it
     * runs. With {@link #handOffLimit()} of them waiting, a QoS 0 delivery is dropped here, on the
     * publisher's thread, and counted as queue_full (EMQX drops QoS 0 at a full mqueue likewise):
     * a subscriber that cannot keep up costs a bounded backlog, not an unbounded task queue.
     * QoS 1/2 deliveries are always handed over (never dropped here); once run they go through
     * the in-flight window and the mqueue, whose max_mqueue_len drops the oldest, counted.
     * Forwarded frames ({@link Broker#deliverBatch}) are bounded by the cluster receiver's window
     * instead (it stops reading, so TCP pushes back to the sending node): counted, not dropped here.
     */
    void offer(Message message, Subscription sub, boolean retainFlag) {
        EventExecutor ex = executor;
        if (ex.inEventLoop()) {
            deliver(message, sub.qos(), retainFlag, sub.subscriptionId());
            return;
        }
        int waiting = handOffs.getAndIncrement();
        if (waiting >= handOffLimit() && effectiveQos(message.qos(), sub.qos()) == 0 && !DeliveryBatch.windowed()) {
            handOffs.decrementAndGet();
            dropped(broker.metrics().messagesDroppedQueueFull, broker.metrics().deliveryDroppedQueueFull);
            return;
        }
        if (waiting >= handOffPeak) handOffPeak = waiting + 1; // racy max: a gauge, not an invariant
        if (!DeliveryBatch.add(ex, message, sub, retainFlag)) {
            try {
                ex.execute(() -> offerOnLoop(message, sub.qos(), retainFlag, sub.subscriptionId()));
            } catch (RejectedExecutionException e) {
                handOffDropped(); // the loop is shutting down: this delivery will never run
                throw e;
            }
        }
    }

    /**
     * Deliveries handed to this session's loop from other threads that may wait at once before
     * QoS 0 ones are dropped: mqtt.max_mqueue_len (at least {@link #MIN_HAND_OFF_LIMIT}). A
     * longer backlog buys nothing: run, it could only fill the mqueue, which holds that many.
     */
    int handOffLimit() {
        return Math.max(MIN_HAND_OFF_LIMIT, broker.settings().maxMqueueLen());
    }

    /** Deliveries handed to this session's loop and not yet run (a snapshot, any thread). */
    public int pendingHandOffs() {
        return handOffs.get();
    }

    /** The most deliveries seen waiting at once to cross to this session's loop (a gauge). */
    public int handOffPeak() {
        return handOffPeak;
    }

    /**
     * On a loop: one handed-over delivery runs (counted off {@link #handOffs}); it is delivered
     * here if the session is still pinned to this loop, else hops on.
     */
    void offerOnLoop(Message message, int subQos, boolean retainFlag, int subId) {
        handOffs.decrementAndGet();
        deliverOrHop(message, subQos, retainFlag, subId);
    }

    /** A handed-over delivery that will never run (its loop refused the task). */
    void handOffDropped() {
        handOffs.decrementAndGet();
    }

    private void deliverOrHop(Message message, int subQos, boolean retainFlag, int subId) {
        EventExecutor ex = executor;
        if (!ex.inEventLoop()) { // the session moved while this task waited
            ex.execute(() -> deliverOrHop(message, subQos, retainFlag, subId));
            return;
        }
        deliver(message, subQos, retainFlag, subId);
    }

    private int effectiveQos(int messageQos, int subQos) {
        return broker.settings().upgradeQos() ? Math.max(messageQos, subQos) : Math.min(messageQos, subQos);
    }

    /** Loop only: delivers a retained message on subscribe (retain flag set). */
    public void deliverRetained(Message message, Subscription sub) {
        deliver(message, sub.qos(), true, sub.subscriptionId());
    }

    private void deliver(Message message, int subQos, boolean retainFlag, int subId) {
        if (destroyed) return;
        BrokerMetrics metrics = broker.metrics();
        if (message.expiresAtMillis() != 0 && message.expired(System.currentTimeMillis())) {
            dropped(metrics.messagesDroppedExpired, metrics.deliveryDroppedExpired);
            return;
        }
        int qos = effectiveQos(message.qos(), subQos);
        if (channel == null) {
            if (qos == 0 && !broker.settings().mqueueStoreQos0()) {
                dropped(metrics.messagesDroppedQueueFull, metrics.deliveryDroppedQueueFull);
                return;
            }
            enqueue(new Queued(message, qos, retainFlag, subId));
            return;
        }
        if (qos == 0) {
            if (!channel.isWritable()) {
                dropped(metrics.messagesDroppedQueueFull, metrics.deliveryDroppedQueueFull);
                return;
            }
            send(message, 0, retainFlag, subId, 0, false);
            return;
        }
        if (canSendInflight()) {
            sendInflight(new InFlight(message, qos, retainFlag, subId));
        } else {
            enqueue(new Queued(message, qos, retainFlag, subId));
        }
    }

    private boolean canSendInflight() {
        return channel != null && channel.isWritable() && (inflight == null || inflight.size() < sendWindow);
    }

    private void sendInflight(InFlight f) {
        if (inflight == null) inflight = new LinkedHashMap<>();
        int id = allocatePacketId();
        f.sentAt = System.nanoTime();
        inflight.put(id, f);
        if (!send(f.message, f.qos, f.retain, f.subscriptionId, id, false)) {
            inflight.remove(id);
            return;
        }
        armRetryTimer();
    }

    private int allocatePacketId() {
        for (int i = 0; i < 65535; i++) {
            int id = nextPacketId;
            nextPacketId = id == 65535 ? 1 : id + 1;
            if (inflight == null || !inflight.containsKey(id)) return id;
        }
        throw new IllegalStateException("no free packet id"); // cannot happen: window <= 65535
    }

    private void enqueue(Queued q) {
        if (queue == null) queue = new ArrayDeque<>();
        int max = broker.settings().maxMqueueLen();
        if (max <= 0) {
            dropped(broker.metrics().messagesDroppedQueueFull, broker.metrics().deliveryDroppedQueueFull);
            return;
        }
        if (queue.size() >= max) {
            queue.pollFirst(); // full queue drops the oldest (mqtt.max_mqueue_len)
            mqueueDropped++;
            dropped(broker.metrics().messagesDroppedQueueFull, broker.metrics().deliveryDroppedQueueFull);
        }
        queue.addLast(q);
    }

    /** A routed message this session drops: counted under Trellis's messages.dropped.* and EMQX's delivery.dropped.*. */
    private void dropped(java.util.concurrent.atomic.LongAdder reason, java.util.concurrent.atomic.LongAdder deliveryReason) {
        reason.increment();
        deliveryReason.increment();
        broker.metrics().messagesDropped.increment();
        broker.metrics().deliveryDropped.increment();
    }

    /** Returns false if the packet was not sent (too large for the client). */
    private boolean send(Message m, int qos, boolean retain, int subId, int packetId, boolean dup) {
        MqttProperties props = MqttProperties.NO_PROPERTIES;
        if (protocolVersion == 5) {
            MqttProperties src = m.properties();
            boolean hasSrc = src != null && !src.isEmpty();
            if (hasSrc || subId != 0 || m.expiresAtMillis() != 0) {
                props = new MqttProperties();
                if (hasSrc) {
                    for (MqttProperties.MqttProperty<?> p : src.listAll()) {
                        if (p.propertyId() != MqttProperties.PUBLICATION_EXPIRY_INTERVAL) props.add(p);
                    }
                }
                if (m.expiresAtMillis() != 0) {
                    props.add(new MqttProperties.IntegerProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL,
                            (int) m.remainingExpirySeconds(System.currentTimeMillis())));
                }
                if (subId != 0) {
                    props.add(new MqttProperties.IntegerProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER, subId));
                }
            }
        }
        if (clientMaxPacketSize != Integer.MAX_VALUE && estimateSize(m, props) > clientMaxPacketSize) {
            dropped(broker.metrics().messagesDroppedTooLarge, broker.metrics().deliveryDroppedTooLarge); // MQTT 5 3.1.2.25: must not send it
            return false;
        }
        if (qos == 0 && props == MqttProperties.NO_PROPERTIES && sharedEncoding) {
            channel.writeAndFlush(SharedPublishEncoding.qos0(m, retain, protocolVersion == 5, channel.alloc()),
                    channel.voidPromise());
        } else {
            MqttFixedHeader fh = new MqttFixedHeader(MqttMessageType.PUBLISH, dup, MqttQoS.valueOf(qos), retain, 0);
            MqttPublishVariableHeader vh = new MqttPublishVariableHeader(m.topic(), packetId, props);
            channel.writeAndFlush(new MqttPublishMessage(fh, vh, Unpooled.wrappedBuffer(m.payload())),
                    channel.voidPromise());
        }
        BrokerMetrics metrics = broker.metrics();
        metrics.messagesSent.increment();
        metrics.qosSent[qos].increment();
        metrics.packetsPublishSent.increment();
        metrics.packetsSent.increment();
        sendMsg++;
        checkSendQueue();
        return true;
    }

    private static int estimateSize(Message m, MqttProperties props) {
        int size = 5 + 2 + m.topic().length() * 3 + 2 + m.payload().length + 4;
        for (MqttProperties.MqttProperty<?> p : props.listAll()) {
            Object v = p.value();
            size += 1 + (v instanceof String s ? 2 + s.length() * 3 : v instanceof byte[] b ? 2 + b.length : 4);
            if (p instanceof MqttProperties.UserProperties up) {
                for (MqttProperties.StringPair pair : up.value()) size += 5 + (pair.key.length() + pair.value.length()) * 3;
            }
        }
        return size;
    }

    /** A client that stops reading is cut once its write buffer passes mqtt.max_send_queue_bytes. */
    private void checkSendQueue() {
        if (channel.isWritable()) return;
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        if (out != null && out.totalPendingWriteBytes() > broker.settings().maxSendQueueBytes()) {
            broker.log().info("client {} stopped reading: {} bytes queued; disconnecting", clientId,
                    out.totalPendingWriteBytes());
            channel.close();
        }
    }

    /** Loop only: sends queued messages while the window and the socket allow. */
    public void drain() {
        if (queue == null || channel == null) return;
        long now = 0;
        while (!queue.isEmpty() && channel != null && channel.isWritable()) {
            Queued q = queue.peekFirst();
            if (q.qos > 0 && inflight != null && inflight.size() >= sendWindow) return;
            queue.pollFirst();
            if (q.message.expiresAtMillis() != 0) {
                if (now == 0) now = System.currentTimeMillis();
                if (q.message.expired(now)) {
                    dropped(broker.metrics().messagesDroppedExpired, broker.metrics().deliveryDroppedExpired);
                    continue;
                }
            }
            if (q.qos == 0) {
                send(q.message, 0, q.retain, q.subscriptionId, 0, false);
            } else {
                sendInflight(new InFlight(q.message, q.qos, q.retain, q.subscriptionId));
            }
        }
    }

    // ------------------------------------------------------------------ acks from the client

    /** PUBACK: returns false if the packet id was not in flight. */
    public boolean onPuback(int packetId) {
        InFlight f = inflight == null ? null : inflight.get(packetId);
        if (f == null || f.qos != 1) return false;
        inflight.remove(packetId);
        broker.metrics().messagesAcked.increment();
        drain();
        return true;
    }

    /** PUBREC: returns false if unknown; the caller answers PUBREL either way (with 0x92 if unknown). */
    public boolean onPubrec(int packetId, boolean failed) {
        InFlight f = inflight == null ? null : inflight.get(packetId);
        if (f == null || f.qos != 2) return false;
        if (failed) { // MQTT 5: a PUBREC reason >= 0x80 ends the flow
            inflight.remove(packetId);
            drain();
            return true;
        }
        f.released = true;
        f.sentAt = System.nanoTime();
        return true;
    }

    public boolean onPubcomp(int packetId) {
        InFlight f = inflight == null ? null : inflight.get(packetId);
        if (f == null || !f.released) return false;
        inflight.remove(packetId);
        broker.metrics().messagesAcked.increment();
        drain();
        return true;
    }

    // ------------------------------------------------------------------ inbound QoS 2

    public boolean awaitingRel(int packetId) {
        return awaitingRel != null && awaitingRel.containsKey(packetId);
    }

    /** Returns false if mqtt.max_awaiting_rel is reached. */
    public boolean addAwaitingRel(int packetId) {
        if (awaitingRel == null) awaitingRel = new HashMap<>();
        int max = broker.settings().maxAwaitingRel();
        if (max > 0 && awaitingRel.size() >= max) return false;
        awaitingRel.put(packetId, System.nanoTime());
        armRetryTimer();
        return true;
    }

    public boolean releaseAwaitingRel(int packetId) {
        return awaitingRel != null && awaitingRel.remove(packetId) != null;
    }

    public void countReceived() {
        recvMsg++;
    }

    // ------------------------------------------------------------------ retries

    private void armRetryTimer() {
        if (retryTimer != null || channel == null) return;
        long nanos = broker.settings().retryInterval().toNanos();
        long relNanos = broker.settings().awaitRelTimeout().toNanos();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(100), Math.min(nanos, relNanos));
        retryTimer = executor.scheduleAtFixedRate(this::retry, period, period, TimeUnit.NANOSECONDS);
    }

    /** While connected: resend what waited longer than mqtt.retry_interval, drop stale awaiting-rel. */
    private void retry() {
        boolean idle = (inflight == null || inflight.isEmpty()) && (awaitingRel == null || awaitingRel.isEmpty());
        if (channel == null || idle) {
            cancelRetryTimer();
            return;
        }
        long now = System.nanoTime();
        if (inflight != null) {
            long retry = broker.settings().retryInterval().toNanos();
            for (Map.Entry<Integer, InFlight> e : inflight.entrySet()) {
                InFlight f = e.getValue();
                if (now - f.sentAt >= retry) {
                    f.sentAt = now;
                    resend(e.getKey(), f);
                }
            }
        }
        if (awaitingRel != null) {
            long timeout = broker.settings().awaitRelTimeout().toNanos();
            awaitingRel.values().removeIf(t -> now - t >= timeout);
        }
    }

    private void resend(int packetId, InFlight f) {
        if (f.released) {
            channel.writeAndFlush(pubrel(packetId), channel.voidPromise());
        } else {
            send(f.message, f.qos, f.retain, f.subscriptionId, packetId, true);
        }
    }

    static MqttMessage pubrel(int packetId) {
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    private void cancelRetryTimer() {
        if (retryTimer != null) {
            retryTimer.cancel(false);
            retryTimer = null;
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Loop only: binds the session to a connection. Unacknowledged PUBLISH (DUP) and PUBREL are
     * resent, then the queue drains.
     */
    public void attach(Channel channel, int protocolVersion, int receiveMaximum, int clientMaxPacketSize,
                       long expirySeconds, ClientSnapshot snapshot) {
        cancelExpiry();
        this.channel = channel;
        this.protocolVersion = protocolVersion;
        this.sendWindow = Math.max(1, Math.min(broker.settings().maxInflight() <= 0 ? 65535
                : broker.settings().maxInflight(), receiveMaximum));
        this.clientMaxPacketSize = clientMaxPacketSize;
        this.sharedEncoding = channel.pipeline().get(io.trellis.mqtt.transport.ChannelHandlerNames.MQTT_ENCODER) != null;
        this.expirySeconds = expirySeconds;
        this.snapshot = snapshot;
        this.disconnectedAt = 0;
        this.connected = true;
    }

    /** Loop only, after CONNACK: resends what was in flight, then drains the queue. */
    public void resume() {
        if (inflight != null && !inflight.isEmpty()) {
            for (Map.Entry<Integer, InFlight> e : new ArrayList<>(inflight.entrySet())) {
                e.getValue().sentAt = System.nanoTime();
                resend(e.getKey(), e.getValue());
            }
            armRetryTimer();
        }
        if (awaitingRel != null && !awaitingRel.isEmpty()) armRetryTimer();
        drain();
    }

    /** Loop only: the connection is gone; the session stays until it expires. */
    public void detach() {
        channel = null;
        connected = false;
        disconnectedAt = System.currentTimeMillis();
        cancelRetryTimer();
    }

    public long expirySeconds() {
        return expirySeconds;
    }

    public void setExpirySeconds(long seconds) {
        this.expirySeconds = seconds;
    }

    /** Loop only: moves the session to another loop; later work runs there. */
    void moveTo(EventExecutor next) {
        executor = next;
    }

    void scheduleExpiry(long seconds, Runnable onExpiry) {
        cancelExpiry();
        expiryTimer = executor.schedule(onExpiry, seconds, TimeUnit.SECONDS);
    }

    private void cancelExpiry() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
    }

    /** Loop only: the session ends; its subscriptions leave the router. */
    void destroy() {
        if (destroyed) return;
        destroyed = true;
        cancelRetryTimer();
        cancelExpiry();
        for (Subscription s : subscriptions.values()) broker.removeRoute(s);
        subscriptions.clear();
        if (queue != null) queue.clear();
        if (inflight != null) inflight.clear();
        connected = false;
    }

    public boolean destroyed() {
        return destroyed;
    }

    // ------------------------------------------------------------------ subscriptions

    /** Loop only: adds or replaces; returns the replaced subscription or null if new. */
    public Subscription subscribe(Subscription sub) {
        Subscription old = subscriptions.put(sub.filter().raw(), sub);
        if (old != null) broker.removeRoute(old);
        broker.addRoute(sub);
        return old;
    }

    public boolean unsubscribe(String rawFilter) {
        Subscription old = subscriptions.remove(rawFilter);
        if (old == null) return false;
        broker.removeRoute(old);
        return true;
    }

    public List<Subscription> subscriptions() {
        return List.copyOf(subscriptions.values());
    }

    // ------------------------------------------------------------------ cluster takeover

    /** Loop only: what another node needs to resume this session (in-flight first, then queued: oldest first). */
    io.trellis.mqtt.cluster.SessionState exportState() {
        List<io.trellis.mqtt.cluster.SessionState.SubscriptionState> subs = new ArrayList<>();
        for (Subscription sub : subscriptions.values()) {
            subs.add(new io.trellis.mqtt.cluster.SessionState.SubscriptionState(sub.filter().raw(), sub.qos(), sub.noLocal(),
                    sub.retainAsPublished(), sub.retainHandling(), sub.subscriptionId()));
        }
        List<io.trellis.mqtt.cluster.SessionState.PendingMessage> pending = new ArrayList<>();
        if (inflight != null) {
            for (InFlight f : inflight.values()) {
                pending.add(new io.trellis.mqtt.cluster.SessionState.PendingMessage(f.message, f.qos, f.retain, f.subscriptionId));
            }
        }
        if (queue != null) {
            for (Queued q : queue) {
                pending.add(new io.trellis.mqtt.cluster.SessionState.PendingMessage(q.message, q.qos, q.retain, q.subscriptionId));
            }
        }
        return new io.trellis.mqtt.cluster.SessionState(clientId, expirySeconds, subs, pending);
    }

    /** Loop only, before the session is attached: queues a message taken over from another node. */
    void enqueueImported(Message message, int qos, boolean retain, int subscriptionId) {
        enqueue(new Queued(message, qos, retain, subscriptionId));
    }

    // ------------------------------------------------------------------ admin snapshot

    ClientInfo info() {
        ClientSnapshot s = snapshot;
        LinkedHashMap<Integer, InFlight> f = inflight;
        ArrayDeque<Queued> q = queue;
        int inflightCnt = 0;
        int queueLen = 0;
        try { // racy reads of loop-confined sizes are fine for a snapshot
            inflightCnt = f == null ? 0 : f.size();
            queueLen = q == null ? 0 : q.size();
        } catch (RuntimeException ignored) {
            // a concurrent resize; the snapshot shows 0
        }
        if (s == null) {
            s = new ClientSnapshot(null, null, "", 5, 0, false, 0);
        }
        return new ClientInfo(clientId, s.username(), s.ipAddress(), s.port(), s.listener(), connected,
                s.protoName(), s.protoVer(), s.keepalive(), s.cleanStart(), expirySeconds, s.connectedAt(),
                disconnectedAt, subscriptions.size(), inflightCnt, queueLen, mqueueDropped, recvMsg, sendMsg);
    }
}

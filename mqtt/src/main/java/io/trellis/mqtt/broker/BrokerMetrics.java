package io.trellis.mqtt.broker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and gauges under EMQX's names. Counters are LongAdders so the hot path never
 * contends; gauges remember their maximum.
 */
public final class BrokerMetrics {
    public final LongAdder messagesReceived = new LongAdder();
    public final LongAdder messagesSent = new LongAdder();
    public final LongAdder messagesDropped = new LongAdder();
    public final LongAdder messagesDroppedNoSubscribers = new LongAdder();
    public final LongAdder messagesDroppedExpired = new LongAdder();
    public final LongAdder messagesDroppedQueueFull = new LongAdder();
    public final LongAdder messagesDroppedTooLarge = new LongAdder();
    /**
     * Messages for other nodes that the cluster dropped: forwarding backpressure (QoS 0), a full
     * held queue (QoS 1/2), a peer gone, or routes known before the peer's RPC is open.
     */
    public final LongAdder messagesDroppedForward = new LongAdder();
    /** Messages handed to the cluster for another node (EMQX {@code messages.forward}). */
    public final LongAdder messagesForward = new LongAdder();
    /**
     * EMQX's delivery.dropped.*: a message routed to a session that the session dropped (queue
     * full, expired, too large for the client). Each also counts in messages.dropped.* as before.
     */
    public final LongAdder deliveryDropped = new LongAdder();
    public final LongAdder deliveryDroppedQueueFull = new LongAdder();
    public final LongAdder deliveryDroppedExpired = new LongAdder();
    public final LongAdder deliveryDroppedTooLarge = new LongAdder();
    public final LongAdder messagesRetained = new LongAdder();
    public final LongAdder messagesDelivered = new LongAdder();
    public final LongAdder messagesAcked = new LongAdder();
    public final LongAdder[] qosReceived = {new LongAdder(), new LongAdder(), new LongAdder()};
    public final LongAdder[] qosSent = {new LongAdder(), new LongAdder(), new LongAdder()};
    public final LongAdder bytesReceived = new LongAdder();
    public final LongAdder bytesSent = new LongAdder();
    public final LongAdder packetsReceived = new LongAdder();
    public final LongAdder packetsSent = new LongAdder();
    public final LongAdder packetsConnectReceived = new LongAdder();
    public final LongAdder packetsConnackSent = new LongAdder();
    public final LongAdder packetsPublishReceived = new LongAdder();
    public final LongAdder packetsPublishSent = new LongAdder();
    public final LongAdder packetsSubscribeReceived = new LongAdder();
    public final LongAdder packetsUnsubscribeReceived = new LongAdder();
    public final LongAdder packetsPingreqReceived = new LongAdder();
    public final LongAdder packetsDisconnectReceived = new LongAdder();
    public final LongAdder packetsDisconnectSent = new LongAdder();
    public final LongAdder packetsMalformed = new LongAdder();
    public final LongAdder clientConnected = new LongAdder();
    public final LongAdder clientDisconnected = new LongAdder();
    public final LongAdder clientAuthFailure = new LongAdder();
    public final LongAdder clientAuthSuccess = new LongAdder();
    public final LongAdder clientAuthAnonymous = new LongAdder();
    public final LongAdder clientBanned = new LongAdder();
    public final LongAdder clientAuthorizationAllow = new LongAdder();
    public final LongAdder clientAuthorizationDeny = new LongAdder();
    public final LongAdder clientSubscribe = new LongAdder();
    public final LongAdder clientUnsubscribe = new LongAdder();
    public final LongAdder clientTakeover = new LongAdder();
    public final LongAdder sessionCreated = new LongAdder();
    public final LongAdder sessionResumed = new LongAdder();
    public final LongAdder sessionTerminated = new LongAdder();
    public final LongAdder sessionDiscarded = new LongAdder();

    public final Gauge connections = new Gauge();
    public final Gauge liveConnections = new Gauge();
    public final Gauge sessions = new Gauge();
    /** Highest topics.count / retained.count seen by a stats() call. */
    final AtomicLong topicsMax = new AtomicLong();
    final AtomicLong retainedMax = new AtomicLong();

    /** A gauge with a high-water mark. */
    public static final class Gauge {
        private final AtomicLong value = new AtomicLong();
        private final AtomicLong max = new AtomicLong();

        public void increment() {
            long v = value.incrementAndGet();
            max.accumulateAndGet(v, Math::max);
        }

        public void decrement() {
            value.decrementAndGet();
        }

        public long value() {
            return value.get();
        }

        public long max() {
            return max.get();
        }
    }

    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("messages.received", messagesReceived.sum());
        m.put("messages.sent", messagesSent.sum());
        // Forward drops happen in the cluster, which counts only its own adder: added here.
        m.put("messages.dropped", messagesDropped.sum() + messagesDroppedForward.sum());
        m.put("messages.dropped.no_subscribers", messagesDroppedNoSubscribers.sum());
        m.put("messages.dropped.await_pubrel_timeout", 0L);
        m.put("messages.dropped.expired", messagesDroppedExpired.sum());
        m.put("messages.dropped.queue_full", messagesDroppedQueueFull.sum());
        m.put("messages.dropped.too_large", messagesDroppedTooLarge.sum());
        m.put("messages.dropped.forward", messagesDroppedForward.sum());
        m.put("messages.forward", messagesForward.sum());
        m.put("delivery.dropped", deliveryDropped.sum());
        m.put("delivery.dropped.queue_full", deliveryDroppedQueueFull.sum());
        m.put("delivery.dropped.expired", deliveryDroppedExpired.sum());
        m.put("delivery.dropped.too_large", deliveryDroppedTooLarge.sum());
        m.put("messages.retained", messagesRetained.sum());
        m.put("messages.delivered", messagesDelivered.sum());
        m.put("messages.acked", messagesAcked.sum());
        for (int q = 0; q <= 2; q++) {
            m.put("messages.qos" + q + ".received", qosReceived[q].sum());
            m.put("messages.qos" + q + ".sent", qosSent[q].sum());
        }
        m.put("bytes.received", bytesReceived.sum());
        m.put("bytes.sent", bytesSent.sum());
        m.put("packets.received", packetsReceived.sum());
        m.put("packets.sent", packetsSent.sum());
        m.put("packets.connect.received", packetsConnectReceived.sum());
        m.put("packets.connack.sent", packetsConnackSent.sum());
        m.put("packets.publish.received", packetsPublishReceived.sum());
        m.put("packets.publish.sent", packetsPublishSent.sum());
        m.put("packets.subscribe.received", packetsSubscribeReceived.sum());
        m.put("packets.unsubscribe.received", packetsUnsubscribeReceived.sum());
        m.put("packets.pingreq.received", packetsPingreqReceived.sum());
        m.put("packets.disconnect.received", packetsDisconnectReceived.sum());
        m.put("packets.disconnect.sent", packetsDisconnectSent.sum());
        m.put("packets.malformed", packetsMalformed.sum());
        m.put("client.connected", clientConnected.sum());
        m.put("client.disconnected", clientDisconnected.sum());
        m.put("client.auth.failure", clientAuthFailure.sum());
        m.put("client.auth.success", clientAuthSuccess.sum());
        m.put("client.auth.success.anonymous", clientAuthAnonymous.sum());
        m.put("client.banned", clientBanned.sum());
        m.put("client.authorization.allow", clientAuthorizationAllow.sum());
        m.put("client.authorization.deny", clientAuthorizationDeny.sum());
        m.put("client.subscribe", clientSubscribe.sum());
        m.put("client.unsubscribe", clientUnsubscribe.sum());
        m.put("session.created", sessionCreated.sum());
        m.put("session.resumed", sessionResumed.sum());
        m.put("session.takenover", clientTakeover.sum());
        m.put("session.discarded", sessionDiscarded.sum());
        m.put("session.terminated", sessionTerminated.sum());
        return m;
    }
}

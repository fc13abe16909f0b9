package io.trellis.mqtt.broker;

import io.netty.handler.codec.mqtt.MqttProperties;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link BrokerAdmin} over one node's {@link Broker}. Snapshots; nothing here is on the hot path. */
public final class LocalBrokerAdmin implements BrokerAdmin {
    private final Broker broker;
    private final java.util.function.LongSupplier liveConnections;

    public LocalBrokerAdmin(Broker broker) {
        this.broker = broker;
        this.liveConnections = () -> broker.metrics().liveConnections.value();
    }

    @Override
    public List<ClientInfo> clients() {
        List<ClientInfo> out = new ArrayList<>();
        for (Session s : broker.sessions()) out.add(s.info());
        out.sort(Comparator.comparing(ClientInfo::clientId));
        return out;
    }

    @Override
    public Optional<ClientInfo> client(String clientId) {
        Session s = broker.session(clientId);
        return s == null ? Optional.empty() : Optional.of(s.info());
    }

    @Override
    public boolean kick(String clientId) {
        Session s = broker.session(clientId);
        if (s == null) return false;
        Object owner = broker.kick(s);
        if (owner instanceof SessionOwner o) o.kick();
        broker.discard(s);
        return true;
    }

    @Override
    public List<SubscriptionInfo> subscriptions() {
        List<SubscriptionInfo> out = new ArrayList<>();
        for (Session s : broker.sessions()) {
            for (Subscription sub : s.subscriptions()) out.add(sub.info());
        }
        return out;
    }

    @Override
    public List<String> topics() {
        return broker.tree().filters().stream().sorted().toList();
    }

    @Override
    public Map<String, Long> metrics() {
        return broker.metrics().counters();
    }

    @Override
    public Map<String, Long> stats() {
        BrokerMetrics m = broker.metrics();
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("connections.count", m.connections.value());
        out.put("connections.max", m.connections.max());
        out.put("live_connections.count", liveConnections.getAsLong());
        out.put("live_connections.max", m.liveConnections.max());
        out.put("sessions.count", m.sessions.value());
        out.put("sessions.max", m.sessions.max());
        int topics = broker.tree().filters().size();
        out.put("topics.count", (long) topics);
        out.put("topics.max", Math.max(topics, m.topicsMax.accumulateAndGet(topics, Math::max)));
        out.put("subscriptions.count", broker.subscriptionsCount());
        out.put("subscriptions.max", broker.subscriptionsMax());
        long shared = 0;
        for (Session s : broker.sessions()) {
            for (Subscription sub : s.subscriptions()) if (sub.filter().isShared()) shared++;
        }
        out.put("subscriptions.shared.count", shared);
        int retained = broker.retained().size();
        out.put("retained.count", (long) retained);
        out.put("retained.max", m.retainedMax.accumulateAndGet(retained, Math::max));
        return out;
    }

    @Override
    public int publish(String topic, byte[] payload, int qos, boolean retain) {
        if (qos < 0 || qos > 2) throw new IllegalArgumentException("qos must be 0, 1 or 2, not " + qos);
        try {
            io.trellis.mqtt.topic.Topics.validateName(topic, broker.settings().maxTopicLevels());
        } catch (io.trellis.mqtt.topic.InvalidTopicException e) {
            throw new IllegalArgumentException("cannot publish: " + e.getMessage(), e);
        }
        return broker.publish(new Message(topic, payload == null ? new byte[0] : payload.clone(), qos, retain,
                MqttProperties.NO_PROPERTIES, null, 0));
    }
}

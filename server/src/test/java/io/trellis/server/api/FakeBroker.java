package io.trellis.server.api;

import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.broker.SubscriptionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A BrokerAdmin with canned clients, for testing the API's routing and JSON without a broker. */
final class FakeBroker implements BrokerAdmin {
    final List<ClientInfo> clients = new CopyOnWriteArrayList<>();
    final List<SubscriptionInfo> subscriptions = new CopyOnWriteArrayList<>();
    final List<String[]> published = new CopyOnWriteArrayList<>();
    int receivers = 1;

    static ClientInfo client(String id, String username) {
        return new ClientInfo(id, username, "127.0.0.1", 50000, "tcp:default", true, "MQTT", 5, 60, true, 0,
                1_700_000_000_123L, 0, 1, 0, 0, 0, 3, 4);
    }

    @Override
    public List<ClientInfo> clients() {
        return new ArrayList<>(clients);
    }

    @Override
    public Optional<ClientInfo> client(String clientId) {
        return clients.stream().filter(c -> c.clientId().equals(clientId)).findFirst();
    }

    @Override
    public boolean kick(String clientId) {
        return clients.removeIf(c -> c.clientId().equals(clientId));
    }

    @Override
    public List<SubscriptionInfo> subscriptions() {
        return new ArrayList<>(subscriptions);
    }

    @Override
    public List<String> topics() {
        return subscriptions.stream().map(SubscriptionInfo::topic).distinct().toList();
    }

    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("messages.received", 7L);
        m.put("bytes.sent", 1024L);
        return m;
    }

    @Override
    public Map<String, Long> stats() {
        return Map.of("connections.count", (long) clients.size(), "topics.count", (long) topics().size());
    }

    @Override
    public int publish(String topic, byte[] payload, int qos, boolean retain) {
        published.add(new String[] {topic, new String(payload), String.valueOf(qos), String.valueOf(retain)});
        return receivers;
    }
}

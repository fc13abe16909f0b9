package io.trellis.mqtt.broker;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the management API and {@code trellis ctl} ask of a running broker. CONTRACT. */
public interface BrokerAdmin {

    /** Connected clients and persistent sessions whose client is away. */
    List<ClientInfo> clients();

    Optional<ClientInfo> client(String clientId);

    /** Disconnects the client (MQTT 5: reason 0x98 administrative action) and discards its session. */
    boolean kick(String clientId);

    List<SubscriptionInfo> subscriptions();

    /** Filters that have at least one subscriber on this node (EMQX's "topics" = routes). */
    List<String> topics();

    /**
     * Counters with EMQX's metric names: {@code messages.received}, {@code messages.sent},
     * {@code messages.dropped}, {@code messages.retained}, {@code messages.qos0.received}, ...
     * {@code bytes.received}, {@code bytes.sent}, {@code packets.received}, {@code packets.sent},
     * {@code packets.connect.received}, {@code client.connected}, {@code client.disconnected},
     * {@code client.auth.failure} ... Values only grow.
     */
    Map<String, Long> metrics();

    /**
     * Gauges with EMQX's stats names: {@code connections.count}, {@code live_connections.count},
     * {@code sessions.count}, {@code topics.count}, {@code subscriptions.count},
     * {@code retained.count}, and the {@code .max} of each.
     */
    Map<String, Long> stats();

    /** Publishes as the broker itself (EMQX's {@code POST /api/v5/publish}); returns the number of receivers. */
    int publish(String topic, byte[] payload, int qos, boolean retain);
}

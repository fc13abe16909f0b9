package io.trellis.mqtt.cluster;

import io.trellis.mqtt.broker.Message;
import java.util.List;

/**
 * A persistent session as it moves from one node to another on takeover: its subscriptions with
 * their options and the messages it had not yet had acknowledged (queued and in flight, in that
 * order of age; in-flight ones are sent again, as on any resume).
 */
public record SessionState(String clientId, long expirySeconds, List<SubscriptionState> subscriptions, List<PendingMessage> pending) {
    public SessionState {
        subscriptions = List.copyOf(subscriptions);
        pending = List.copyOf(pending);
    }

    /** One subscription: the raw filter as subscribed ({@code $share/g/f} included) and its options. */
    public record SubscriptionState(String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling,
                                    int subscriptionId) {
    }

    /** One message owed to the client, at the QoS it is delivered with. */
    public record PendingMessage(Message message, int qos, boolean retain, int subscriptionId) {
    }
}

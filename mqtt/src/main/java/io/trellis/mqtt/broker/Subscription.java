package io.trellis.mqtt.broker;

import io.trellis.mqtt.topic.TopicFilter;

/**
 * One client's subscription to one filter, with its MQTT 5 options. Immutable; a re-subscribe
 * to the same filter replaces it. Compared by identity: the tree holds each object once.
 *
 * @param subscriptionId MQTT 5 subscription identifier, 0 if none
 */
public record Subscription(Session session, TopicFilter filter, int qos, boolean noLocal,
                           boolean retainAsPublished, int retainHandling, int subscriptionId) implements Route {

    @Override
    public int deliver(Message message) {
        Broker broker = session.broker();
        // No Local (MQTT 5) and mqtt.ignore_loop_deliver both stop a client's own messages.
        if ((noLocal || broker.settings().ignoreLoopDeliver()) && message.publisher() != null
                && message.publisher().equals(session.clientId())) {
            return 0;
        }
        session.offer(message, this, retainAsPublished && message.retain());
        return 1;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    public SubscriptionInfo info() {
        return new SubscriptionInfo(session.clientId(), filter.raw(), qos, noLocal, retainAsPublished, retainHandling);
    }
}

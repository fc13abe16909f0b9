package io.trellis.mqtt.broker;

/**
 * One subscription, as EMQX's {@code GET /api/v5/subscriptions} shows it. CONTRACT.
 *
 * @param topic the filter as subscribed, share prefix included
 */
public record SubscriptionInfo(String clientId, String topic, int qos, boolean noLocal,
                               boolean retainAsPublished, int retainHandling) {
}

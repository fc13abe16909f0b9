package io.trellis.mqtt.broker;

import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * One application message as routed: immutable once built, shared by every receiver.
 *
 * @param properties MQTT 5 properties to pass on (user properties, response topic, correlation
 *                   data, content type, payload format); never the topic alias or subscription id
 * @param publisher  the client id of the publisher, or null when the broker itself publishes
 * @param expiresAtMillis epoch millis after which the message is dropped; 0 = never
 */
public record Message(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties,
                      String publisher, long expiresAtMillis) {

    public boolean expired(long nowMillis) {
        return expiresAtMillis != 0 && nowMillis >= expiresAtMillis;
    }

    /** The message expiry interval left, in seconds, rounded up; -1 if the message does not expire. */
    public long remainingExpirySeconds(long nowMillis) {
        if (expiresAtMillis == 0) return -1;
        return Math.max(0, (expiresAtMillis - nowMillis + 999) / 1000);
    }
}

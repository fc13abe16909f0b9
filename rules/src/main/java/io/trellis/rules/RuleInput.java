package io.trellis.rules;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * A published message as the rule engine sees it: what the broker hands to
 * {@link RuleEngine#onMessagePublished(RuleInput)}. The payload array is not copied; the caller
 * must not change it afterwards.
 *
 * @param id          the message id (EMQX shows it as hex), may be empty
 * @param timestamp   milliseconds since the epoch when the broker received the message
 * @param userProperties MQTT 5 user properties (empty for MQTT 3)
 */
public record RuleInput(String id, String topic, byte[] payload, int qos, boolean retain, String clientid,
                        String username, String peerhost, long timestamp, Map<String, String> userProperties) {

    public RuleInput {
        Objects.requireNonNull(topic, "topic");
        payload = payload == null ? new byte[0] : payload;
        id = id == null ? "" : id;
        userProperties = userProperties == null ? Map.of() : Map.copyOf(userProperties);
    }

    /** A message with only topic, text payload and QoS set (tests, the rule test API). */
    public static RuleInput of(String topic, String payload, int qos) {
        return new RuleInput("", topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, null, null, null,
                System.currentTimeMillis(), Map.of());
    }

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }
}

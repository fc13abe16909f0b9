package io.trellis.mqtt.topic;

/** A topic name or filter that breaks MQTT's rules; the message says which rule. */
public final class InvalidTopicException extends Exception {
    public InvalidTopicException(String message) {
        super(message, null, false, false);
    }
}

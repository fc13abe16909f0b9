package io.trellis.mqtt.topic;

/**
 * Topic name and filter rules of MQTT 3.1.1 / 5.0 section 4.7. CONTRACT: signatures fixed;
 * bodies are a first cut to be replaced by the topic work.
 */
public final class Topics {
    private Topics() {
    }

    /** A PUBLISH topic: non-empty, no wildcards, no NUL, at most maxLevels levels. */
    public static void validateName(String topic, int maxLevels) throws InvalidTopicException {
        if (topic.isEmpty()) throw new InvalidTopicException("empty topic name");
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0)
            throw new InvalidTopicException("wildcard in topic name '" + topic + "'");
        if (topic.indexOf('\0') >= 0) throw new InvalidTopicException("NUL character in topic name");
    }

    /** A SUBSCRIBE filter (after any $share prefix is removed). */
    public static void validateFilter(String filter, int maxLevels) throws InvalidTopicException {
        if (filter.isEmpty()) throw new InvalidTopicException("empty topic filter");
    }

    /** Whether filter matches topic, with '$' topics not matched by a leading wildcard. */
    public static boolean matches(String filter, String topic) {
        return filter.equals(topic);
    }
}

package io.trellis.mqtt.topic;

/**
 * A parsed subscription filter: {@code a/+/c}, {@code $share/group/a/#} (MQTT 5 and, as EMQX
 * allows, 3.1.1) or EMQX's {@code $queue/a/#} (= {@code $share/$queue/a/#}).
 * CONTRACT: signatures fixed.
 *
 * @param raw        the filter as the client sent it
 * @param filter     the filter without the share prefix
 * @param shareGroup the share group, or null when not shared
 */
public record TopicFilter(String raw, String filter, String shareGroup) {

    public static TopicFilter parse(String raw, int maxLevels) throws InvalidTopicException {
        Topics.validateFilter(raw, maxLevels);
        return new TopicFilter(raw, raw, null);
    }

    public boolean isShared() {
        return shareGroup != null;
    }

    public boolean hasWildcard() {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }
}

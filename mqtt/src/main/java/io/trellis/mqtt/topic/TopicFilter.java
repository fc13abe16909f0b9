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

    private static final String SHARE = "$share";
    private static final String QUEUE = "$queue";
    /** EMQX's group for {@code $queue/<filter>}. */
    public static final String QUEUE_GROUP = "$queue";

    /**
     * Parses and validates a SUBSCRIBE filter, removing a {@code $share/<group>/} or
     * {@code $queue/} prefix; maxLevels applies to the filter without the prefix.
     */
    public static TopicFilter parse(String raw, int maxLevels) throws InvalidTopicException {
        if (isPrefix(raw, SHARE)) {
            if (raw.length() <= SHARE.length() + 1) {
                throw new InvalidTopicException("shared subscription " + Topics.quote(raw)
                        + " has no share name: use $share/<group>/<filter> (MQTT 4.8.2)");
            }
            int groupStart = SHARE.length() + 1;
            int slash = raw.indexOf('/', groupStart);
            String group = raw.substring(groupStart, slash < 0 ? raw.length() : slash);
            validateGroup(raw, group);
            if (slash < 0 || slash == raw.length() - 1) {
                throw new InvalidTopicException("shared subscription " + Topics.quote(raw)
                        + " has no topic filter after the share name: use $share/<group>/<filter> (MQTT 4.8.2)");
            }
            String filter = raw.substring(slash + 1);
            Topics.validateFilter(filter, maxLevels);
            return new TopicFilter(raw, filter, group);
        }
        if (isPrefix(raw, QUEUE)) {
            if (raw.length() <= QUEUE.length() + 1) {
                throw new InvalidTopicException("queue subscription " + Topics.quote(raw)
                        + " has no topic filter: use $queue/<filter>");
            }
            String filter = raw.substring(QUEUE.length() + 1);
            Topics.validateFilter(filter, maxLevels);
            return new TopicFilter(raw, filter, QUEUE_GROUP);
        }
        Topics.validateFilter(raw, maxLevels);
        return new TopicFilter(raw, raw, null);
    }

    public boolean isShared() {
        return shareGroup != null;
    }

    public boolean hasWildcard() {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    /** raw is exactly prefix, or starts with prefix + '/'. */
    private static boolean isPrefix(String raw, String prefix) {
        return raw.startsWith(prefix) && (raw.length() == prefix.length() || raw.charAt(prefix.length()) == '/');
    }

    private static void validateGroup(String raw, String group) throws InvalidTopicException {
        if (group.isEmpty()) {
            throw new InvalidTopicException("shared subscription " + Topics.quote(raw)
                    + " has an empty share name: use $share/<group>/<filter> (MQTT 4.8.2)");
        }
        for (int i = 0; i < group.length(); i++) {
            char c = group.charAt(i);
            if (c == '+' || c == '#' || c == '\0') {
                String shown = c == '\0' ? "U+0000" : "'" + c + "'";
                throw new InvalidTopicException("shared subscription " + Topics.quote(raw) + " has " + shown
                        + " in its share name " + Topics.quote(group)
                        + ": a share name must not contain '/', '+', '#' or NUL (MQTT 4.8.2)");
            }
        }
    }
}

package io.trellis.mqtt.topic;

/**
 * Topic name and filter rules of MQTT 3.1.1 / 5.0 section 4.7. CONTRACT: signatures fixed.
 *
 * <p>Validation is one pass over the characters and allocates nothing unless it fails.
 * {@code maxLevels} is EMQX's {@code mqtt.max_topic_levels}; a value of 0 or less means no limit.
 * Invalid UTF-8 is rejected by the decoder before a string reaches this class.
 */
public final class Topics {
    /** MQTT strings carry a 16-bit byte length (MQTT 1.5.4). */
    public static final int MAX_UTF8_BYTES = 65535;

    private static final int MAX_QUOTED_CHARS = 64;

    private Topics() {
    }

    /** A PUBLISH topic: non-empty, no wildcards, no NUL, at most maxLevels levels. */
    public static void validateName(String topic, int maxLevels) throws InvalidTopicException {
        if (topic.isEmpty()) {
            throw new InvalidTopicException("topic name is empty: a topic name must have at least one character (MQTT 4.7.3)");
        }
        int levels = 1;
        int utf8Bytes = 0;
        for (int i = 0, n = topic.length(); i < n; i++) {
            char c = topic.charAt(i);
            switch (c) {
                case '/' -> levels++;
                case '+', '#' -> throw new InvalidTopicException("topic name " + quote(topic) + " contains the wildcard '"
                        + c + "' at index " + i + ": wildcards are allowed only in subscription filters (MQTT 4.7.1)");
                case '\0' -> throw new InvalidTopicException("topic name " + quote(topic)
                        + " contains the NUL character U+0000 at index " + i + " (MQTT 4.7.3)");
                default -> {
                }
            }
            utf8Bytes += utf8Length(c);
        }
        checkLimits("topic name", topic, levels, utf8Bytes, maxLevels);
    }

    /** A SUBSCRIBE filter (after any $share prefix is removed). */
    public static void validateFilter(String filter, int maxLevels) throws InvalidTopicException {
        if (filter.isEmpty()) {
            throw new InvalidTopicException("topic filter is empty: a topic filter must have at least one character (MQTT 4.7.3)");
        }
        int levels = 1;
        int utf8Bytes = 0;
        int n = filter.length();
        for (int i = 0; i < n; i++) {
            char c = filter.charAt(i);
            switch (c) {
                case '/' -> levels++;
                case '#' -> {
                    boolean wholeLevel = (i == 0 || filter.charAt(i - 1) == '/');
                    if (!wholeLevel || i != n - 1) {
                        throw new InvalidTopicException("topic filter " + quote(filter) + " has '#' at index " + i
                                + ": the multi-level wildcard '#' must be a whole level and the last one, as in 'a/#' (MQTT 4.7.1.2)");
                    }
                }
                case '+' -> {
                    boolean wholeLevel = (i == 0 || filter.charAt(i - 1) == '/') && (i == n - 1 || filter.charAt(i + 1) == '/');
                    if (!wholeLevel) {
                        throw new InvalidTopicException("topic filter " + quote(filter) + " has '+' at index " + i
                                + ": the single-level wildcard '+' must be a whole level, as in 'a/+/c' (MQTT 4.7.1.3)");
                    }
                }
                case '\0' -> throw new InvalidTopicException("topic filter " + quote(filter)
                        + " contains the NUL character U+0000 at index " + i + " (MQTT 4.7.3)");
                default -> {
                }
            }
            utf8Bytes += utf8Length(c);
        }
        checkLimits("topic filter", filter, levels, utf8Bytes, maxLevels);
    }

    /**
     * Whether filter matches topic, with '$' topics not matched by a leading wildcard
     * (MQTT 4.7.2). {@code a/#} matches {@code a}; {@code +} matches an empty level. Both
     * arguments are assumed valid; no allocation.
     */
    public static boolean matches(String filter, String topic) {
        int fLen = filter.length();
        int tLen = topic.length();
        if (fLen == 0 || tLen == 0) return false;
        if (topic.charAt(0) == '$' && isWildcardLevel(filter, 0, fLen)) return false;
        int fs = 0; // start of the current filter level
        int ts = 0; // start of the current topic level; > tLen once the topic has no level left
        while (true) {
            int fe = filter.indexOf('/', fs);
            if (fe < 0) fe = fLen;
            int fLevelLen = fe - fs;
            if (fLevelLen == 1 && filter.charAt(fs) == '#') return true; // also matches the parent
            if (ts > tLen) return false;
            int te = topic.indexOf('/', ts);
            if (te < 0) te = tLen;
            boolean plus = fLevelLen == 1 && filter.charAt(fs) == '+';
            if (!plus && (fLevelLen != te - ts || !filter.regionMatches(fs, topic, ts, fLevelLen))) return false;
            fs = fe + 1;
            ts = te + 1;
            if (fs > fLen) return ts > tLen;
        }
    }

    /** Whether the level of filter starting at start is a lone '+' or '#'. */
    private static boolean isWildcardLevel(String filter, int start, int fLen) {
        char c = filter.charAt(start);
        return (c == '+' || c == '#') && (start + 1 == fLen || filter.charAt(start + 1) == '/');
    }

    private static void checkLimits(String what, String s, int levels, int utf8Bytes, int maxLevels)
            throws InvalidTopicException {
        if (maxLevels > 0 && levels > maxLevels) {
            throw new InvalidTopicException(what + " " + quote(s) + " has " + levels + " levels, more than the limit of "
                    + maxLevels + " (mqtt.max_topic_levels)");
        }
        if (utf8Bytes > MAX_UTF8_BYTES) {
            throw new InvalidTopicException(what + " " + quote(s) + " is " + utf8Bytes
                    + " bytes in UTF-8, more than MQTT's limit of " + MAX_UTF8_BYTES + " bytes (MQTT 1.5.4)");
        }
    }

    /** UTF-8 bytes of one UTF-16 unit: a surrogate pair (4 bytes) counts 2 per half. */
    private static int utf8Length(char c) {
        if (c < 0x80) return 1;
        if (c < 0x800) return 2;
        if (Character.isSurrogate(c)) return 2;
        return 3;
    }

    /** The string in quotes for an error message: cut when long, NUL made visible. */
    static String quote(String s) {
        String shown = s.length() > MAX_QUOTED_CHARS ? s.substring(0, MAX_QUOTED_CHARS) + "..." : s;
        return "'" + shown.replace("\0", "\\u0000") + "'";
    }
}

package io.trellis.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * EMQX's units for byte sizes and durations, parsed and printed.
 *
 * <p>Byte sizes: an integer followed by {@code B}, {@code KB}, {@code MB} or {@code GB}, powers of
 * 1024 ({@code 1MB} = 1,048,576 bytes), units case-insensitive ({@code 1mb} is fine); a bare
 * integer is a number of bytes. No fractions ({@code 1.5MB}: write {@code 1536KB}).
 *
 * <p>Durations: one or more integer-and-unit parts, units {@code d}, {@code h}, {@code m},
 * {@code s}, {@code ms}, case-insensitive, summed: {@code 15s}, {@code 100ms}, {@code 1h30m},
 * {@code 2d}. A bare number is rejected, with a message suggesting a unit, because EMQX reads it
 * as milliseconds for some keys and seconds for others; only a key whose doc says "a bare number
 * is seconds" accepts one (see {@link #parseDuration(String, boolean)}).
 *
 * <p>"infinity" is not a unit: keys that accept it say so, and map it to {@link Keys#INFINITY}
 * (durations) or to the largest value of their type (sizes and counts).
 */
public final class Units {
    public static final long KB = 1024L;
    public static final long MB = 1024L * KB;
    public static final long GB = 1024L * MB;
    private static final Duration INFINITY = Duration.ofSeconds(Long.MAX_VALUE); // = Keys.INFINITY, without a class-init cycle

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|d|h|m|s)", Pattern.CASE_INSENSITIVE);
    private static final Pattern BARE_NUMBER = Pattern.compile("\\d+");

    private Units() {
    }

    /** Parses a byte size; throws IllegalArgumentException saying what is wrong. */
    public static long parseBytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a byte size");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        long factor = switch (unit) {
            case "kb" -> KB;
            case "mb" -> MB;
            case "gb" -> GB;
            default -> 1;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
    }

    /** The shortest exact form: 1048576 -> "1MB", 65536 -> "64KB", 1000 -> "1000B". */
    public static String formatBytes(long bytes) {
        if (bytes != 0 && bytes % GB == 0) {
            return bytes / GB + "GB";
        }
        if (bytes != 0 && bytes % MB == 0) {
            return bytes / MB + "MB";
        }
        if (bytes != 0 && bytes % KB == 0) {
            return bytes / KB + "KB";
        }
        return bytes + "B";
    }

    /**
     * Parses a duration. {@code bareIsSeconds}: whether a bare number means seconds (only keys
     * documented that way); otherwise a bare number is an error that suggests a unit.
     */
    public static Duration parseDuration(String text, boolean bareIsSeconds) {
        String t = text.trim();
        if (BARE_NUMBER.matcher(t).matches()) {
            if (bareIsSeconds) {
                try {
                    return Duration.ofSeconds(Long.parseLong(t));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' is too large");
                }
            }
            throw new IllegalArgumentException("'" + text + "' has no unit");
        }
        Matcher m = DURATION_PART.matcher(t);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < t.length() && m.find(at) && m.start() == at) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "s" -> Duration.ofSeconds(n);
                    default -> Duration.ofMillis(n);
                });
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is too large");
            }
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration");
        }
        return total;
    }

    /** The form an operator would write: 5400s -> "1h30m", 0.1s -> "100ms", INFINITY -> "infinity". */
    public static String formatDuration(Duration d) {
        if (d.equals(INFINITY)) {
            return "infinity";
        }
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long ms = d.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms >= sizes[i]) {
                out.append(ms / sizes[i]).append(units[i]);
                ms %= sizes[i];
            }
        }
        return out.toString();
    }
}

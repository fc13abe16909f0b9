package io.trellis.bench.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The end-of-run figures: counts, throughput (median of per-second rates and overall) and
 * publish-to-receive latency percentiles.
 */
public record Summary(String mode, int connections, int connected, long connectFailures, long errors, long sent,
                      long received, long acked, double seconds, double sentMedianPerSec, double sentOverallPerSec,
                      double recvMedianPerSec, double recvOverallPerSec, double connectRatePerSec, Latency latency) {

    /** Latency in milliseconds; count 0 when nothing was measured. */
    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
        static Latency of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Latency(0, 0, 0, 0, 0, 0);
            }
            return new Latency(h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
                    ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
        }

        private static double ms(long nanos) {
            return nanos / 1_000_000.0;
        }
    }

    public static Summary of(String mode, int connections, Stats stats, double seconds, List<Long> sentPerSec,
                             List<Long> recvPerSec, double connectRatePerSec) {
        Histogram h = stats.measuredLatency();
        long sent = stats.measuredSent();
        long received = stats.measuredReceived();
        return new Summary(mode, connections, stats.connected.get(), stats.connectFailures.sum(), stats.errors.sum(), sent,
                received, stats.measuredAcked(), seconds, median(sentPerSec), seconds > 0 ? sent / seconds : 0,
                median(recvPerSec), seconds > 0 ? received / seconds : 0, connectRatePerSec, Latency.of(h));
    }

    static double median(List<Long> values) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(f("== bench %s summary ==%n", mode));
        b.append(f("duration      %.1f s%n", seconds));
        b.append(f("connections   %d of %d connected, %d connect failures, %d errors%n", connected, connections,
                connectFailures, errors));
        if (connectRatePerSec > 0) {
            b.append(f("connect rate  %.0f conn/s%n", connectRatePerSec));
        }
        if (sent > 0 || "pub".equals(mode) || "pubsub".equals(mode)) {
            b.append(f("sent          %d (median %.0f msg/s, overall %.0f msg/s)%s%n", sent, sentMedianPerSec,
                    sentOverallPerSec, acked > 0 ? ", " + acked + " acked" : ""));
        }
        if (received > 0 || "sub".equals(mode) || "pubsub".equals(mode)) {
            b.append(f("received      %d (median %.0f msg/s, overall %.0f msg/s)%n", received, recvMedianPerSec,
                    recvOverallPerSec));
        }
        if (latency.count() > 0) {
            b.append(f("latency ms    p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%d)%n", latency.p50(),
                    latency.p90(), latency.p99(), latency.p999(), latency.max(), latency.count()));
        }
        return b.toString();
    }

    public String toJson() {
        return f("{\"mode\":\"%s\",\"connections\":%d,\"connected\":%d,\"connect_failures\":%d,\"errors\":%d,"
                        + "\"sent\":%d,\"received\":%d,\"acked\":%d,\"duration_s\":%.3f,"
                        + "\"sent_per_s\":{\"median\":%.1f,\"overall\":%.1f},"
                        + "\"recv_per_s\":{\"median\":%.1f,\"overall\":%.1f},\"connect_rate_per_s\":%.1f,"
                        + "\"latency_ms\":{\"count\":%d,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f}}",
                mode, connections, connected, connectFailures, errors, sent, received, acked, seconds, sentMedianPerSec,
                sentOverallPerSec, recvMedianPerSec, recvOverallPerSec, connectRatePerSec, latency.count(),
                latency.p50(), latency.p90(), latency.p99(), latency.p999(), latency.max());
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}

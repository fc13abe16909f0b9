package io.trellis.rules.action;

import java.time.Duration;
import java.util.Objects;

/**
 * How an action buffers and retries: at most {@code bufferSize} outputs wait, at most
 * {@code inflight} are being sent, a failed attempt is retried up to {@code maxRetries} times
 * after {@code initialBackoff}, doubling up to {@code maxBackoff}.
 */
public record RetryPolicy(int bufferSize, int inflight, int maxRetries, Duration initialBackoff, Duration maxBackoff) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(10_000, 32, 3, Duration.ofMillis(200), Duration.ofSeconds(10));

    public RetryPolicy {
        if (bufferSize < 1) throw new IllegalArgumentException("buffer size must be at least 1, got " + bufferSize);
        if (inflight < 1) throw new IllegalArgumentException("inflight window must be at least 1, got " + inflight);
        if (maxRetries < 0) throw new IllegalArgumentException("max retries must not be negative, got " + maxRetries);
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
    }

    /** Backoff before retry number {@code retry} (1-based). */
    public Duration backoff(int retry) {
        long ms = initialBackoff.toMillis() << Math.min(20, retry - 1);
        return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
    }
}

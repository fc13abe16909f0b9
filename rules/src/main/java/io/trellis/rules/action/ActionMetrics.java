package io.trellis.rules.action;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one action (EMQX's action metrics): {@code matched} messages handed to it,
 * {@code success}, {@code failed} (given up after retries, or not retryable), {@code retried}
 * attempts, {@code dropped} (buffer full, or given up), and the gauges {@code queuing} (waiting in
 * the buffer) and {@code inflight} (being sent).
 */
public final class ActionMetrics {

    final LongAdder matched = new LongAdder();
    final LongAdder success = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder droppedQueueFull = new LongAdder();
    final LongAdder queuing = new LongAdder();
    final LongAdder inflight = new LongAdder();

    public long matched() {
        return matched.sum();
    }

    public long success() {
        return success.sum();
    }

    public long failed() {
        return failed.sum();
    }

    public long retried() {
        return retried.sum();
    }

    public long dropped() {
        return dropped.sum();
    }

    public long queuing() {
        return queuing.sum();
    }

    public long inflight() {
        return inflight.sum();
    }

    /** EMQX's metric names. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("matched", matched());
        m.put("success", success());
        m.put("failed", failed());
        m.put("retried", retried());
        m.put("dropped", dropped());
        m.put("dropped.queue_full", droppedQueueFull.sum());
        m.put("queuing", queuing());
        m.put("inflight", inflight());
        return m;
    }
}

package io.trellis.bench.stats;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** Counters shared by every connection's event loop; read once a second by the reporter. */
public final class Stats {
    public final LongAdder sent = new LongAdder();
    public final LongAdder received = new LongAdder();
    /** QoS 1 PUBACKs and QoS 2 PUBCOMPs received by publishers. */
    public final LongAdder acked = new LongAdder();
    public final LongAdder connectFailures = new LongAdder();
    public final LongAdder errors = new LongAdder();
    public final AtomicInteger connected = new AtomicInteger();
    public final LongAdder connectsDone = new LongAdder();
    /** Publish-to-receive latency in nanoseconds (auto-resizing, 3 significant digits). */
    private final ConcurrentHistogram latency = new ConcurrentHistogram(3);

    public void recordLatency(long nanos) {
        latency.recordValue(Math.max(0, nanos));
    }

    public Histogram latencySnapshot() {
        return latency.copy();
    }
}

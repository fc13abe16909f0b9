package io.trellis.bench.stats;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

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
    private final Recorder latency = new Recorder(3);
    private volatile long sentBase;
    private volatile long receivedBase;
    private volatile long ackedBase;

    public void recordLatency(long nanos) {
        latency.recordValue(Math.max(0, nanos));
    }

    /** Ends the warm-up: what was counted and measured so far stays out of the summary. */
    public void startMeasuring() {
        latency.getIntervalHistogram();
        sentBase = sent.sum();
        receivedBase = received.sum();
        ackedBase = acked.sum();
    }

    /** The latencies since {@link #startMeasuring()} (or the start); call once, at the end. */
    public Histogram measuredLatency() {
        return latency.getIntervalHistogram();
    }

    public long measuredSent() {
        return sent.sum() - sentBase;
    }

    public long measuredReceived() {
        return received.sum() - receivedBase;
    }

    public long measuredAcked() {
        return acked.sum() - ackedBase;
    }
}

package io.trellis.rules.action;

import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One action's bounded buffer in front of its {@link Sink}. {@link #offer} never blocks and never
 * waits for the sink: when the buffer is full the output is dropped and counted. At most
 * {@link RetryPolicy#inflight()} sends run at once; a failed send is retried with exponential
 * backoff on the scheduler, then given up (counted failed and dropped). Thread-safe.
 */
public final class DeliveryQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);

    /** An output and whom to tell how it ended (true: delivered). */
    private record Item(Map<String, Object> fields, Consumer<Boolean> outcome) {
    }

    private final String name;
    private final Sink sink;
    private final RetryPolicy policy;
    private final ScheduledExecutorService scheduler;
    private final ActionMetrics metrics;
    private final Queue<Item> buffer = new ConcurrentLinkedQueue<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final AtomicInteger inflight = new AtomicInteger();
    private volatile boolean closed;

    public DeliveryQueue(String name, Sink sink, RetryPolicy policy, ScheduledExecutorService scheduler, ActionMetrics metrics) {
        this.name = Objects.requireNonNull(name, "name");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    public ActionMetrics metrics() {
        return metrics;
    }

    public Sink sink() {
        return sink;
    }

    /**
     * Queues one output; returns at once.
     *
     * @return false when it was dropped because the buffer is full or the queue is closed
     */
    public boolean offer(Map<String, Object> fields, Consumer<Boolean> outcome) {
        metrics.matched.increment();
        if (closed) {
            metrics.dropped.increment();
            outcome.accept(false);
            return false;
        }
        if (buffered.incrementAndGet() > policy.bufferSize()) {
            buffered.decrementAndGet();
            metrics.dropped.increment();
            metrics.droppedQueueFull.increment();
            outcome.accept(false);
            return false;
        }
        metrics.queuing.increment();
        buffer.add(new Item(fields, outcome));
        pump();
        return true;
    }

    /** Starts sends while there is room in the inflight window. */
    private void pump() {
        while (!closed) {
            int now = inflight.get();
            if (now >= policy.inflight()) return;
            if (!inflight.compareAndSet(now, now + 1)) continue;
            Item item = buffer.poll();
            if (item == null) {
                inflight.decrementAndGet();
                // an offer may have slipped in between poll and decrement
                if (buffer.isEmpty()) return;
                continue;
            }
            buffered.decrementAndGet();
            metrics.queuing.decrement();
            metrics.inflight.increment();
            attempt(item, 0);
        }
    }

    private void attempt(Item item, int retry) {
        CompletableFuture<Void> sent;
        try {
            sent = sink.send(item.fields());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((ok, failure) -> {
            if (failure == null) {
                finish(item, true);
                return;
            }
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (!closed && retry < policy.maxRetries() && sink.isRetryable(cause)) {
                metrics.retried.increment();
                long delay = policy.backoff(retry + 1).toMillis();
                try {
                    scheduler.schedule(() -> attempt(item, retry + 1), delay, TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                    // engine closing: give up below
                }
            }
            LOG.debug("action {} gave up after {} retries: {}", name, retry, cause.toString());
            metrics.failed.increment();
            metrics.dropped.increment();
            finish(item, false);
        });
    }

    private void finish(Item item, boolean delivered) {
        if (delivered) metrics.success.increment();
        metrics.inflight.decrement();
        inflight.decrementAndGet();
        try {
            item.outcome().accept(delivered);
        } finally {
            pump();
        }
    }

    /** Stops taking outputs; what is buffered is dropped and counted. Closes the sink. */
    @Override
    public void close() {
        closed = true;
        Item item;
        while ((item = buffer.poll()) != null) {
            buffered.decrementAndGet();
            metrics.queuing.decrement();
            metrics.dropped.increment();
            item.outcome().accept(false);
        }
        sink.close();
    }
}

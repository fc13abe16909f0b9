package io.trellis.rules.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeliveryQueueTest {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Boolean> outcomes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** A sink whose sends complete when the test says so. */
    private static final class ManualSink implements Sink {
        final BlockingQueue<CompletableFuture<Void>> sends = new LinkedBlockingQueue<>();

        @Override
        public CompletableFuture<Void> send(Map<String, Object> fields) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            sends.add(f);
            return f;
        }
    }

    @Test
    void theBufferIsBoundedAndTheInflightWindowRespected() throws Exception {
        ManualSink sink = new ManualSink();
        DeliveryQueue q = new DeliveryQueue("a", sink, new RetryPolicy(2, 1, 0, Duration.ofMillis(1), Duration.ofMillis(1)),
                scheduler, new ActionMetrics());

        assertThat(q.offer(Map.of(), outcomes::add)).isTrue();
        assertThat(q.offer(Map.of(), outcomes::add)).isTrue();
        assertThat(q.offer(Map.of(), outcomes::add)).isTrue();
        assertThat(q.offer(Map.of(), outcomes::add)).as("buffer of 2 full, one in flight").isFalse();
        assertThat(sink.sends).hasSize(1);
        assertThat(q.metrics().snapshot()).containsEntry("inflight", 1L).containsEntry("queuing", 2L)
                .containsEntry("dropped.queue_full", 1L).containsEntry("matched", 4L);

        for (int i = 0; i < 3; i++) sink.sends.take().complete(null);
        await().untilAsserted(() -> assertThat(q.metrics().snapshot()).containsEntry("success", 3L)
                .containsEntry("inflight", 0L).containsEntry("queuing", 0L));
        assertThat(outcomes).containsExactly(false, true, true, true);
    }

    @Test
    void failuresAreRetriedThenCountedFailedAndDropped() {
        AtomicInteger attempts = new AtomicInteger();
        Sink failing = fields -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(new IOException("refused"));
        };
        DeliveryQueue q = new DeliveryQueue("a", failing, new RetryPolicy(10, 1, 3, Duration.ofMillis(1), Duration.ofMillis(4)),
                scheduler, new ActionMetrics());
        q.offer(Map.of(), outcomes::add);
        await().untilAsserted(() -> assertThat(outcomes).containsExactly(false));
        assertThat(attempts).hasValue(4);
        assertThat(q.metrics().snapshot()).containsEntry("retried", 3L).containsEntry("failed", 1L)
                .containsEntry("dropped", 1L).containsEntry("inflight", 0L);
    }

    @Test
    void notRetryableFailuresAndThrowingSinksFailAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        Sink sink = fields -> {
            if (attempts.incrementAndGet() == 1) throw new NotRetryableException("bad topic");
            return CompletableFuture.failedFuture(new NotRetryableException("4xx"));
        };
        DeliveryQueue q = new DeliveryQueue("a", sink, new RetryPolicy(10, 1, 3, Duration.ofMillis(1), Duration.ofMillis(1)),
                scheduler, new ActionMetrics());
        q.offer(Map.of(), outcomes::add);
        q.offer(Map.of(), outcomes::add);
        await().untilAsserted(() -> assertThat(outcomes).containsExactly(false, false));
        assertThat(attempts).hasValue(2);
        assertThat(q.metrics().retried()).isZero();
    }

    @Test
    void closingDropsWhatIsBufferedAndRefusesMore() {
        ManualSink sink = new ManualSink();
        DeliveryQueue q = new DeliveryQueue("a", sink, new RetryPolicy(5, 1, 0, Duration.ofMillis(1), Duration.ofMillis(1)),
                scheduler, new ActionMetrics());
        q.offer(Map.of(), outcomes::add);
        q.offer(Map.of(), outcomes::add);
        q.close();
        assertThat(q.offer(Map.of(), outcomes::add)).isFalse();
        assertThat(outcomes).containsExactly(false, false);
        assertThat(q.metrics().snapshot()).containsEntry("dropped", 2L).containsEntry("queuing", 0L).containsEntry("inflight", 1L);
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        RetryPolicy p = new RetryPolicy(1, 1, 5, Duration.ofMillis(100), Duration.ofMillis(350));
        assertThat(List.of(p.backoff(1), p.backoff(2), p.backoff(3), p.backoff(10)))
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(350), Duration.ofMillis(350));
    }
}

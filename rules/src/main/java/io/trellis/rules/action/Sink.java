package io.trellis.rules.action;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where an action sends a rule's output: one attempt per call, never blocking the caller. A
 * {@link DeliveryQueue} around it adds the buffer, the retries and the metrics.
 */
public interface Sink extends AutoCloseable {

    /** Sends once; the future fails with the reason when this attempt did not deliver. */
    CompletableFuture<Void> send(Map<String, Object> fields);

    /** Whether another attempt could succeed after this failure (a refused target would not). */
    default boolean isRetryable(Throwable failure) {
        return !(failure instanceof NotRetryableException);
    }

    @Override
    default void close() {
    }
}

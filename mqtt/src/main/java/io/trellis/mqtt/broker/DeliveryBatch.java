package io.trellis.mqtt.broker;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fan-out across event loops: while a batch is open on a thread, deliveries to sessions pinned to
 * other loops are gathered per loop and handed over as one task per loop when the outermost batch
 * closes, instead of one task per subscriber and message. A batch is one routed message (a
 * publish), or every message of a forwarded frame ({@link Broker#deliverBatch}). Within a loop's
 * task the deliveries run in the order they were gathered, so per-topic order holds. Per routing
 * thread; reused, so a batch allocates one array and one task per foreign loop.
 */
final class DeliveryBatch {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryBatch.class);
    private static final FastThreadLocal<DeliveryBatch> CURRENT = new FastThreadLocal<>() {
        @Override
        protected DeliveryBatch initialValue() {
            return new DeliveryBatch();
        }
    };
    /** Entries per gathered delivery in {@link #items}: message, subscription, retain flag. */
    private static final int STRIDE = 3;

    private int depth;
    /**
     * Opened by {@link Broker#deliverBatch} (forwarded frames): the caller bounds what waits on
     * the loops itself (the cluster receiver's window, which pauses reading, so TCP pushes back to
     * the sending node), so sessions do not drop QoS 0 at their hand-off bound for it.
     */
    private boolean windowed;
    private final ArrayList<EventExecutor> executors = new ArrayList<>(4);
    /** Per executor: message, subscription, retain flag, message, subscription, retain flag, ... */
    private final ArrayList<ArrayList<Object>> items = new ArrayList<>(4);

    static DeliveryBatch begin() {
        DeliveryBatch b = CURRENT.get();
        b.depth++;
        return b;
    }

    /** A batch whose caller bounds the hand-off itself ({@link #windowed}) is open on this thread. */
    static DeliveryBatch beginWindowed() {
        DeliveryBatch b = begin();
        if (b.depth == 1) b.windowed = true; // nested, the outer batch says what it is
        return b;
    }

    /** Whether the open batch on this thread is windowed by its caller (a forwarded frame). */
    static boolean windowed() {
        DeliveryBatch b = CURRENT.getIfExists();
        return b != null && b.depth > 0 && b.windowed;
    }

    /** Returns false when no batch is open on this thread (the caller hands over on its own). */
    static boolean add(EventExecutor executor, Message message, Subscription sub, boolean retainFlag) {
        DeliveryBatch b = CURRENT.getIfExists();
        if (b == null || b.depth == 0) return false;
        int i = b.executors.indexOf(executor); // a handful of loops: a linear scan is cheapest
        if (i < 0) {
            b.executors.add(executor);
            if (b.items.size() < b.executors.size()) b.items.add(new ArrayList<>());
            i = b.executors.size() - 1;
        }
        ArrayList<Object> list = b.items.get(i);
        list.add(message);
        list.add(sub);
        list.add(retainFlag);
        return true;
    }

    /** Closes the batch: when outermost, one task per foreign loop delivers that loop's share. */
    void end() {
        end(null);
    }

    /**
     * Closes the batch. When outermost, hands one task per foreign loop over and returns how many;
     * {@code whenDelivered} (if not null) runs, on the last of those loops, once each has run its
     * task. Nested, it returns 0 and {@code whenDelivered} must be null (only the outermost batch
     * knows when its deliveries ran).
     */
    int end(Runnable whenDelivered) {
        if (--depth > 0) {
            if (whenDelivered != null) throw new IllegalStateException("whenDelivered on a nested delivery batch");
            return 0;
        }
        windowed = false;
        int loops = 0;
        for (int i = 0; i < executors.size(); i++) {
            if (!items.get(i).isEmpty()) loops++;
        }
        AtomicInteger left = whenDelivered == null || loops == 0 ? null : new AtomicInteger(loops);
        for (int i = 0; i < executors.size(); i++) {
            ArrayList<Object> list = items.get(i);
            if (list.isEmpty()) continue;
            Object[] batch = list.toArray();
            list.clear();
            Runnable task = () -> {
                try {
                    for (int j = 0; j < batch.length; j += STRIDE) {
                        Subscription sub = (Subscription) batch[j + 1];
                        try {
                            sub.session().offerOnLoop((Message) batch[j], sub.qos(), (Boolean) batch[j + 2], sub.subscriptionId());
                        } catch (RuntimeException e) {
                            // One delivery failing must not take the rest of the batch (and their hand-off counts) with it.
                            LOG.warn("a delivery to client {} failed", sub.session().clientId(), e);
                        }
                    }
                } finally {
                    if (left != null && left.decrementAndGet() == 0) whenDelivered.run();
                }
            };
            try {
                executors.get(i).execute(task);
            } catch (RejectedExecutionException e) {
                // That loop is shutting down (its sessions go with it): do not wait for it.
                for (int j = 0; j < batch.length; j += STRIDE) ((Subscription) batch[j + 1]).session().handOffDropped();
                if (left != null && left.decrementAndGet() == 0) whenDelivered.run();
            }
        }
        executors.clear();
        return loops;
    }
}

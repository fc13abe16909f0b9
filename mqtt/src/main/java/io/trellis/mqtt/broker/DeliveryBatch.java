package io.trellis.mqtt.broker;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;

/**
 * Fan-out across event loops: while one message is routed, deliveries to sessions pinned to other
 * loops are gathered per loop and handed over as one task per loop, instead of one task per
 * subscriber. Per routing thread; reused, so routing allocates one array and one task per
 * foreign loop.
 */
final class DeliveryBatch {
    private static final FastThreadLocal<DeliveryBatch> CURRENT = new FastThreadLocal<>() {
        @Override
        protected DeliveryBatch initialValue() {
            return new DeliveryBatch();
        }
    };

    private int depth;
    private final ArrayList<EventExecutor> executors = new ArrayList<>(4);
    /** Per executor: subscription, retain flag, subscription, retain flag, ... */
    private final ArrayList<ArrayList<Object>> items = new ArrayList<>(4);

    static DeliveryBatch begin() {
        DeliveryBatch b = CURRENT.get();
        b.depth++;
        return b;
    }

    /** Returns false when no batch is open on this thread (the caller hands over on its own). */
    static boolean add(EventExecutor executor, Subscription sub, boolean retainFlag) {
        DeliveryBatch b = CURRENT.getIfExists();
        if (b == null || b.depth == 0) return false;
        int i = b.executors.indexOf(executor); // a handful of loops: a linear scan is cheapest
        if (i < 0) {
            b.executors.add(executor);
            if (b.items.size() < b.executors.size()) b.items.add(new ArrayList<>());
            i = b.executors.size() - 1;
        }
        ArrayList<Object> list = b.items.get(i);
        list.add(sub);
        list.add(retainFlag);
        return true;
    }

    /** Closes the batch: one task per foreign loop delivers message to its share of subscribers. */
    void end(Message message) {
        if (--depth > 0) return;
        for (int i = 0; i < executors.size(); i++) {
            ArrayList<Object> list = items.get(i);
            if (list.isEmpty()) continue;
            Object[] batch = list.toArray();
            list.clear();
            executors.get(i).execute(() -> {
                for (int j = 0; j < batch.length; j += 2) {
                    Subscription sub = (Subscription) batch[j];
                    sub.session().offerOnLoop(message, sub.qos(), (Boolean) batch[j + 1], sub.subscriptionId());
                }
            });
        }
        executors.clear();
    }
}

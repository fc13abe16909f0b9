package io.trellis.mqtt.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Counts this node's subscriptions per (non-shared) filter so the cluster hears only of the
 * first subscriber and the last unsubscriber of a filter. The bridge is called inside the
 * per-filter update, so an add and a remove of one filter reach it in order.
 */
public final class LocalRouteCounter {
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();
    private final Supplier<ClusterBridge> bridge;

    public LocalRouteCounter(Supplier<ClusterBridge> bridge) {
        this.bridge = bridge;
    }

    public void added(String filter) {
        counts.compute(filter, (f, n) -> {
            if (n == null) {
                bridge.get().routeAdded(f);
                return 1;
            }
            return n + 1;
        });
    }

    public void removed(String filter) {
        counts.computeIfPresent(filter, (f, n) -> {
            if (n == 1) {
                bridge.get().routeRemoved(f);
                return null;
            }
            return n - 1;
        });
    }

    public Set<String> filters() {
        return Set.copyOf(counts.keySet());
    }
}

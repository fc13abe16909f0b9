package io.trellis.mqtt.topic;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Filters to values, matched against topic names. Thread-safe: any thread may add, remove and
 * match at once; match never blocks. A (filter, value) pair is stored once (value equality).
 * CONTRACT: signatures fixed; this body is a first cut (linear scan) to be replaced by a trie.
 */
public final class SubscriptionTree<V> {
    private final ConcurrentHashMap<String, Set<V>> byFilter = new ConcurrentHashMap<>();

    /** Returns true if the pair was new. Filter must already be valid (no share prefix). */
    public boolean add(String filter, V value) {
        return byFilter.computeIfAbsent(filter, f -> ConcurrentHashMap.newKeySet()).add(value);
    }

    /** Returns true if the pair was there. */
    public boolean remove(String filter, V value) {
        Set<V> set = byFilter.get(filter);
        if (set == null) return false;
        boolean removed = set.remove(value);
        if (set.isEmpty()) byFilter.remove(filter, set);
        return removed;
    }

    /** Calls sink once for every (filter, value) pair whose filter matches topic. */
    public void match(String topic, Consumer<? super V> sink) {
        byFilter.forEach((f, set) -> {
            if (Topics.matches(f, topic)) set.forEach(sink);
        });
    }

    /** Filters with at least one value. */
    public Set<String> filters() {
        return Set.copyOf(byFilter.keySet());
    }

    /** Number of (filter, value) pairs. */
    public int size() {
        return byFilter.values().stream().mapToInt(Set::size).sum();
    }
}

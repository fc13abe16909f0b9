package io.trellis.mqtt.topic;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Retained messages by topic name, matched against a filter on SUBSCRIBE. Thread-safe.
 * CONTRACT: signatures fixed; this body is a first cut (linear scan) to be replaced by a trie.
 */
public final class RetainedStore<V> {
    private final ConcurrentHashMap<String, V> byTopic = new ConcurrentHashMap<>();

    /** Stores or replaces the retained value of a topic name. */
    public void put(String topic, V value) {
        byTopic.put(topic, value);
    }

    public void remove(String topic) {
        byTopic.remove(topic);
    }

    public V get(String topic) {
        return byTopic.get(topic);
    }

    /** Calls sink for each retained value whose topic matches filter ('$' rule included). */
    public void match(String filter, Consumer<? super V> sink) {
        byTopic.forEach((t, v) -> {
            if (Topics.matches(filter, t)) sink.accept(v);
        });
    }

    public int size() {
        return byTopic.size();
    }
}

package io.trellis.cluster.data;

import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.topic.RetainedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retained messages cluster-wide: every set or delete on any node is stamped (the node's clock in
 * milliseconds, made strictly increasing per node) and replicated to every peer; a node that
 * (re)connects gets the peer's whole set as a full copy, deletes included as tombstones, and each
 * topic keeps the change with the highest stamp (last writer wins). Limits: stamps come from the
 * nodes' clocks, so with clock skew "last" means "latest by the writer's clock"; equal stamps (two
 * nodes writing one topic in the same millisecond, e.g. on both sides of a partition) are settled
 * by content so that every node keeps the same: a set beats a delete, else the greater payload
 * (unsigned bytes) wins; tombstones are kept in memory for the node's lifetime
 * (one entry per deleted topic); '$'-topics are not in full copies (they are node-local, $SYS).
 */
public final class RetainedReplica {
    private final RetainedStore<Message> store;
    private final ConcurrentHashMap<String, Long> stamps = new ConcurrentHashMap<>();
    private long lastStamp;

    public RetainedReplica(RetainedStore<Message> store) {
        this.store = store;
    }

    /** A set or delete by a publish on this node (already applied to the store): its stamp. */
    public synchronized long stampLocal(String topic) {
        long stamp = Math.max(System.currentTimeMillis(), lastStamp + 1);
        lastStamp = stamp;
        stamps.put(topic, stamp);
        return stamp;
    }

    /** A peer's set (message) or delete (null): applied if newer than what this node has. */
    public void apply(long stamp, String topic, Message message) {
        boolean[] newer = {false};
        stamps.compute(topic, (t, mine) -> {
            if (mine != null && (mine > stamp || mine == stamp && !beatsOnTie(message, store.get(topic)))) {
                return mine;
            }
            newer[0] = true;
            if (message == null) {
                store.remove(topic);
            } else {
                store.put(topic, message);
            }
            return stamp;
        });
    }

    /** At equal stamps: whether {@code incoming} replaces {@code current} (null: deleted), the same choice on every node. */
    static boolean beatsOnTie(Message incoming, Message current) {
        if (incoming == null) {
            return false; // a set beats a delete; two deletes are the same
        }
        return current == null || java.util.Arrays.compareUnsigned(incoming.payload(), current.payload()) > 0;
    }

    /** The whole set with stamps (0 for messages retained before the cluster started), tombstones included. */
    public DataMessage.RetainedFullV1 full() {
        List<DataMessage.RetainedEntry> entries = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        store.match("#", m -> {
            seen.add(m.topic());
            entries.add(new DataMessage.RetainedEntry(stamps.getOrDefault(m.topic(), 0L), m.topic(), m));
        });
        stamps.forEach((topic, stamp) -> {
            if (!seen.contains(topic) && store.get(topic) == null && !topic.startsWith("$")) {
                entries.add(new DataMessage.RetainedEntry(stamp, topic, null));
            }
        });
        return new DataMessage.RetainedFullV1(entries);
    }
}

package io.trellis.mqtt.topic;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Filters to values, matched against topic names. Thread-safe: any thread may add, remove and
 * match at once; match never blocks. A (filter, value) pair is stored once (value equality).
 * CONTRACT: signatures fixed.
 *
 * <p>Two structures: filters without wildcards (most subscriptions) sit in a hash map keyed by
 * the filter, found with one look-up of the topic; wildcard filters sit in a trie by level.
 * Match reads both without locks and splits the topic once, only when the trie is not empty.
 *
 * <p>"Not empty" is a counter of wildcard pairs, raised before a pair becomes visible and
 * lowered after it is gone, never {@code ConcurrentHashMap.isEmpty()}: a map makes an insert
 * visible to {@code get} before it counts it, so a lock-free reader can find a key in a map that
 * still reports empty (for as long as the inserting thread is descheduled). Sizes of the trie's
 * maps are only trusted under the lock that serialises all writes to that map.
 *
 * <p>Trie writers lock one node at a time, except pruning, which locks a parent and then its
 * child (always in that order, so no deadlock). A pruned node is marked dead under both
 * locks, and a writer that finds its node dead starts over from the root. Hence a live node is
 * always reachable from the root, and an add racing a prune is never lost.
 */
public final class SubscriptionTree<V> {
    private final ConcurrentHashMap<String, Set<V>> exact = new ConcurrentHashMap<>();
    private final Node<V> root = new Node<>(null, "", "");
    private final LongAdder size = new LongAdder();
    /** Upper bound of the pairs in the trie at any instant (see class comment); never below it. */
    private final AtomicLong wildcardPairs = new AtomicLong();

    /** Returns true if the pair was new. Filter must already be valid (no share prefix). */
    public boolean add(String filter, V value) {
        if (value == null) throw new NullPointerException("value");
        boolean added;
        if (hasWildcard(filter)) {
            // Count first, so a match that can see the pair also sees a non-zero count.
            wildcardPairs.incrementAndGet();
            added = addToTrie(filter, value);
            if (!added) wildcardPairs.decrementAndGet();
        } else {
            Adder<V> adder = new Adder<>(value);
            exact.compute(filter, adder);
            added = adder.changed;
        }
        if (added) size.increment();
        return added;
    }

    /** Returns true if the pair was there. */
    public boolean remove(String filter, V value) {
        if (value == null) return false;
        boolean removed;
        if (hasWildcard(filter)) {
            removed = removeFromTrie(filter, value);
            if (removed) wildcardPairs.decrementAndGet(); // after the pair is gone
        } else {
            Remover<V> remover = new Remover<>(value);
            exact.computeIfPresent(filter, remover);
            removed = remover.changed;
        }
        if (removed) size.decrement();
        return removed;
    }

    /** Calls sink once for every (filter, value) pair whose filter matches topic. */
    public void match(String topic, Consumer<? super V> sink) {
        Set<V> values = exact.get(topic);
        if (values != null) values.forEach(sink);
        if (wildcardPairs.get() == 0) return;
        String[] levels = split(topic);
        boolean dollar = !topic.isEmpty() && topic.charAt(0) == '$';
        matchTrie(root, levels, 0, dollar, sink);
    }

    /** Filters with at least one value. */
    public Set<String> filters() {
        Set<String> filters = new HashSet<>(exact.keySet());
        collectFilters(root, filters);
        return Set.copyOf(filters);
    }

    /** Number of (filter, value) pairs. */
    public int size() {
        // A remove may count down before the racing add counts up: never report below zero.
        return Math.max(0, size.intValue());
    }

    private static <V> void matchTrie(Node<V> node, String[] levels, int i, boolean dollar, Consumer<? super V> sink) {
        // Per MQTT 4.7.2, wildcards in the first level of a filter do not match '$' topics.
        boolean wildcardsAllowed = i > 0 || !dollar;
        ConcurrentHashMap<String, Node<V>> children = node.children; // null for a leaf
        if (children != null && wildcardsAllowed) {
            Node<V> hash = children.get("#");
            if (hash != null) hash.values.forEach(sink); // '#' also matches the parent level
        }
        if (i == levels.length) {
            node.values.forEach(sink);
            return;
        }
        if (children == null) return;
        if (wildcardsAllowed) {
            Node<V> plus = children.get("+");
            if (plus != null) matchTrie(plus, levels, i + 1, dollar, sink);
        }
        String level = levels[i];
        if (isWildcard(level)) return; // not a valid topic level; never take a wildcard branch twice
        Node<V> child = children.get(level);
        if (child != null) matchTrie(child, levels, i + 1, dollar, sink);
    }

    private boolean addToTrie(String filter, V value) {
        String[] levels = split(filter);
        retry:
        while (true) {
            Node<V> node = root;
            for (String level : levels) {
                Node<V> child = node.child(level);
                if (child == null || child.dead) {
                    synchronized (node) {
                        if (node.dead) continue retry;
                        child = node.addChildIfAbsent(level, node == root);
                    }
                }
                node = child;
            }
            synchronized (node) {
                if (node.dead) continue;
                return node.values.add(value);
            }
        }
    }

    private boolean removeFromTrie(String filter, V value) {
        Node<V> node = root;
        int start = 0;
        int len = filter.length();
        while (start <= len) {
            int end = filter.indexOf('/', start);
            if (end < 0) end = len;
            node = node.child(filter.substring(start, end));
            if (node == null) return false;
            start = end + 1;
        }
        boolean removed;
        synchronized (node) {
            // A dead node holds no values, so a stale node simply reports "not there".
            removed = node.values.remove(value);
        }
        if (removed) prune(node);
        return removed;
    }

    /** Unlinks empty nodes from node upwards; stops at the first node still in use. */
    private void prune(Node<V> node) {
        while (node != root) {
            Node<V> parent = node.parent;
            synchronized (parent) {
                synchronized (node) {
                    // Exact here: every write to node.values and node.children holds node's lock.
                    if (node.dead || !node.values.isEmpty() || node.hasChildrenLocked()) return;
                    node.dead = true;
                    parent.children.remove(node.level, node);
                }
            }
            node = parent;
        }
    }

    private static void collectFilters(Node<?> node, Set<String> out) {
        // Lock-free: iterate rather than trust isEmpty() (see class comment).
        ConcurrentHashMap<String, ? extends Node<?>> children = node.children;
        if (children == null) return;
        for (Node<?> child : children.values()) {
            if (child.values.iterator().hasNext()) out.add(child.filter);
            collectFilters(child, out);
        }
    }

    /** Levels of a topic or filter, split once without a regex. */
    static String[] split(String s) {
        int count = 1;
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) == '/') count++;
        }
        String[] levels = new String[count];
        int start = 0;
        for (int k = 0; k < count - 1; k++) {
            int end = s.indexOf('/', start);
            levels[k] = s.substring(start, end);
            start = end + 1;
        }
        levels[count - 1] = s.substring(start);
        return levels;
    }

    private static boolean hasWildcard(String filter) {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    private static boolean isWildcard(String level) {
        return level.length() == 1 && (level.charAt(0) == '+' || level.charAt(0) == '#');
    }

    private static final class Node<V> {
        final Node<V> parent;
        final String level;
        /** The filter this node stands for, kept so {@link #filters()} needs no path building. */
        final String filter;
        /** Created on the first child, under this node's lock: most nodes are leaves. */
        volatile ConcurrentHashMap<String, Node<V>> children;
        final Set<V> values = ConcurrentHashMap.newKeySet(2);
        /** Set under the parent's and this node's lock once unlinked; never reset. */
        volatile boolean dead;

        Node(Node<V> parent, String level, String filter) {
            this.parent = parent;
            this.level = level;
            this.filter = filter;
        }

        Node<V> child(String level) {
            ConcurrentHashMap<String, Node<V>> map = children;
            return map == null ? null : map.get(level);
        }

        /** Only exact under this node's lock (see class comment); readers check for null instead. */
        boolean hasChildrenLocked() {
            ConcurrentHashMap<String, Node<V>> map = children;
            return map != null && !map.isEmpty();
        }

        /** Caller holds this node's lock and has checked it is not dead. */
        Node<V> addChildIfAbsent(String level, boolean isRoot) {
            ConcurrentHashMap<String, Node<V>> map = children;
            if (map == null) {
                map = new ConcurrentHashMap<>(4);
                children = map;
            }
            Node<V> child = map.get(level);
            if (child == null) {
                child = new Node<>(this, level, isRoot ? level : filter + '/' + level);
                map.put(level, child);
            }
            return child;
        }
    }

    /** Adds a value inside {@code compute}, so an empty set is never dropped while in use. */
    private static final class Adder<V> implements BiFunction<String, Set<V>, Set<V>> {
        final V value;
        boolean changed;

        Adder(V value) {
            this.value = value;
        }

        @Override
        public Set<V> apply(String filter, Set<V> values) {
            Set<V> set = values != null ? values : ConcurrentHashMap.newKeySet(2);
            changed = set.add(value);
            return set;
        }
    }

    /** Removes a value inside {@code computeIfPresent}, dropping the set when it empties. */
    private static final class Remover<V> implements BiFunction<String, Set<V>, Set<V>> {
        final V value;
        boolean changed;

        Remover(V value) {
            this.value = value;
        }

        @Override
        public Set<V> apply(String filter, Set<V> values) {
            changed = values.remove(value);
            return values.isEmpty() ? null : values;
        }
    }
}

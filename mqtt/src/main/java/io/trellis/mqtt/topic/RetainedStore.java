package io.trellis.mqtt.topic;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Retained messages by topic name, matched against a filter on SUBSCRIBE. Thread-safe.
 * CONTRACT: signatures fixed.
 *
 * <p>A trie by topic level: put, remove and get walk one path (O(levels)); match walks only
 * the branches the filter can reach ('+' fans out over one level, '#' takes a whole subtree).
 * Reads take no lock. Writers lock one node at a time, except pruning, which locks a parent
 * then its child and marks the unlinked child dead; a writer that finds its node dead starts
 * over, so a put racing the removal of a neighbouring topic is never lost.
 *
 * <p>Lock-free readers never ask a child map {@code isEmpty()}: a {@code ConcurrentHashMap} makes
 * an insert visible to {@code get} before it counts it, so a map holding a child can still
 * report empty (for as long as the inserting thread is descheduled). Readers test the map for
 * null (a leaf) and iterate; the count is only trusted under the node's lock, which every write
 * to that map holds.
 */
public final class RetainedStore<V> {
    private final Node<V> root = new Node<>(null, "");
    private final LongAdder size = new LongAdder();

    /** Stores or replaces the retained value of a topic name. */
    public void put(String topic, V value) {
        Objects.requireNonNull(value, "value");
        retry:
        while (true) {
            Node<V> node = root;
            int start = 0;
            int len = topic.length();
            while (start <= len) {
                int end = topic.indexOf('/', start);
                if (end < 0) end = len;
                String level = topic.substring(start, end);
                Node<V> child = node.child(level);
                if (child == null || child.dead) {
                    synchronized (node) {
                        if (node.dead) continue retry;
                        child = node.addChildIfAbsent(level);
                    }
                }
                node = child;
                start = end + 1;
            }
            synchronized (node) {
                if (node.dead) continue;
                V old = node.value;
                node.value = value;
                if (old == null) size.increment();
                return;
            }
        }
    }

    public void remove(String topic) {
        Node<V> node = find(topic);
        if (node == null) return;
        boolean removed;
        synchronized (node) {
            removed = node.value != null;
            node.value = null;
        }
        if (removed) {
            size.decrement();
            prune(node);
        }
    }

    public V get(String topic) {
        Node<V> node = find(topic);
        return node == null ? null : node.value;
    }

    /** Calls sink for each retained value whose topic matches filter ('$' rule included). */
    public void match(String filter, Consumer<? super V> sink) {
        if (filter.isEmpty()) return;
        matchLevel(root, SubscriptionTree.split(filter), 0, sink);
    }

    public int size() {
        // A remove may count down before the racing add counts up: never report below zero.
        return Math.max(0, size.intValue());
    }

    private static <V> void matchLevel(Node<V> node, String[] filter, int i, Consumer<? super V> sink) {
        if (i == filter.length) {
            V value = node.value;
            if (value != null) sink.accept(value);
            return;
        }
        String level = filter[i];
        if (level.equals("#")) {
            // '#' matches the parent level too ("a/#" matches "a"); the root holds no topic.
            if (i > 0) {
                V value = node.value;
                if (value != null) sink.accept(value);
            }
            for (Node<V> child : node.children()) {
                if (i == 0 && isDollar(child.level)) continue; // MQTT 4.7.2
                matchSubtree(child, sink);
            }
        } else if (level.equals("+")) {
            for (Node<V> child : node.children()) {
                if (i == 0 && isDollar(child.level)) continue;
                matchLevel(child, filter, i + 1, sink);
            }
        } else {
            Node<V> child = node.child(level);
            if (child != null) matchLevel(child, filter, i + 1, sink);
        }
    }

    private static <V> void matchSubtree(Node<V> node, Consumer<? super V> sink) {
        V value = node.value;
        if (value != null) sink.accept(value);
        ConcurrentHashMap<String, Node<V>> children = node.children;
        if (children == null) return; // a leaf: no iterator to allocate
        for (Node<V> child : children.values()) {
            matchSubtree(child, sink);
        }
    }

    private Node<V> find(String topic) {
        Node<V> node = root;
        int start = 0;
        int len = topic.length();
        while (start <= len) {
            int end = topic.indexOf('/', start);
            if (end < 0) end = len;
            node = node.child(topic.substring(start, end));
            if (node == null) return null;
            start = end + 1;
        }
        return node;
    }

    /** Unlinks empty nodes from node upwards; stops at the first node still in use. */
    private void prune(Node<V> node) {
        while (node != root) {
            Node<V> parent = node.parent;
            synchronized (parent) {
                synchronized (node) {
                    if (node.dead || node.value != null || node.hasChildrenLocked()) return;
                    node.dead = true;
                    parent.removeChild(node);
                }
            }
            node = parent;
        }
    }

    private static boolean isDollar(String level) {
        return !level.isEmpty() && level.charAt(0) == '$';
    }

    private static final class Node<V> {
        final Node<V> parent;
        final String level;
        /** Created on the first child: most nodes are leaves, and a leaf then costs no map. */
        private volatile ConcurrentHashMap<String, Node<V>> children;
        volatile V value;
        /** Set under the parent's and this node's lock once unlinked; never reset. */
        volatile boolean dead;

        Node(Node<V> parent, String level) {
            this.parent = parent;
            this.level = level;
        }

        Node<V> child(String level) {
            ConcurrentHashMap<String, Node<V>> map = children;
            return map == null ? null : map.get(level);
        }

        Collection<Node<V>> children() {
            ConcurrentHashMap<String, Node<V>> map = children;
            return map == null ? List.of() : map.values();
        }

        /** Only exact under this node's lock (see class comment). */
        boolean hasChildrenLocked() {
            ConcurrentHashMap<String, Node<V>> map = children;
            return map != null && !map.isEmpty();
        }

        /** Caller holds this node's lock and has checked it is not dead. */
        Node<V> addChildIfAbsent(String level) {
            ConcurrentHashMap<String, Node<V>> map = children;
            if (map == null) {
                map = new ConcurrentHashMap<>(4);
                children = map;
            }
            Node<V> child = map.get(level);
            if (child == null) {
                child = new Node<>(this, level);
                map.put(level, child);
            }
            return child;
        }

        /** Caller holds this node's and child's locks. */
        void removeChild(Node<V> child) {
            children.remove(child.level, child);
        }
    }
}

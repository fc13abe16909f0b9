package io.trellis.mqtt.broker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The members of one share group on one filter ({@code $share/g/f}, {@code $queue/f}): each
 * message goes to exactly one member, picked by mqtt.shared_subscription_strategy. Members whose
 * client is connected are preferred; a message goes to an away session only when no member is
 * connected. Members change rarely (copy-on-write), messages often (lock-free pick).
 */
final class SharedGroup implements Route {
    final String group;
    final String filter;
    private final String strategy;
    private final List<Subscription> members = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private volatile Subscription sticky;

    SharedGroup(String group, String filter, String strategy) {
        this.group = group;
        this.filter = filter;
        this.strategy = strategy;
    }

    void add(Subscription s) {
        members.add(s);
    }

    /** Returns true if the group is now empty. */
    boolean remove(Subscription s) {
        members.remove(s);
        if (sticky == s) sticky = null;
        return members.isEmpty();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public int deliver(Message message) {
        Object[] snapshot = members.toArray();
        int n = snapshot.length;
        if (n == 0) return 0;
        Subscription stuck = sticky;
        if ("sticky".equals(strategy) && stuck != null && stuck.session().connected()) {
            return stuck.deliver(message);
        }
        int start = switch (strategy) {
            case "random" -> ThreadLocalRandom.current().nextInt(n);
            case "hash_clientid" -> Math.floorMod(message.publisher() == null ? 0 : message.publisher().hashCode(), n);
            case "hash_topic" -> Math.floorMod(message.topic().hashCode(), n);
            default -> Math.floorMod(next.getAndIncrement(), n); // round_robin, and sticky's first pick
        };
        for (int i = 0; i < n; i++) {
            Subscription s = (Subscription) snapshot[(start + i) % n];
            if (s.session().connected()) {
                if ("sticky".equals(strategy)) sticky = s;
                return s.deliver(message);
            }
        }
        return ((Subscription) snapshot[start]).deliver(message);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}

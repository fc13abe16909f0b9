package io.trellis.mqtt.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SubscriptionTreeTest {

    private static List<String> matchList(SubscriptionTree<String> tree, String topic) {
        List<String> out = new ArrayList<>();
        tree.match(topic, out::add);
        return out;
    }

    @Test
    void exactAndWildcardFiltersMatch() {
        SubscriptionTree<String> tree = new SubscriptionTree<>();
        assertThat(tree.add("a/b", "exact")).isTrue();
        assertThat(tree.add("a/+", "plus")).isTrue();
        assertThat(tree.add("a/#", "hash")).isTrue();
        assertThat(tree.add("#", "all")).isTrue();
        assertThat(tree.add("+/+", "two")).isTrue();
        assertThat(tree.add("$SYS/#", "sys")).isTrue();

        assertThat(matchList(tree, "a/b")).containsExactlyInAnyOrder("exact", "plus", "hash", "all", "two");
        assertThat(matchList(tree, "a")).containsExactlyInAnyOrder("hash", "all");
        assertThat(matchList(tree, "a/")).containsExactlyInAnyOrder("plus", "hash", "all", "two");
        assertThat(matchList(tree, "/a")).containsExactlyInAnyOrder("all", "two");
        assertThat(matchList(tree, "$SYS/x")).containsExactly("sys");
        assertThat(matchList(tree, "b/c/d")).containsExactly("all");
    }

    @Test
    void pairIsStoredOnceAndSizeCountsPairs() {
        SubscriptionTree<String> tree = new SubscriptionTree<>();
        assertThat(tree.add("a/b", "v")).isTrue();
        assertThat(tree.add("a/b", "v")).isFalse();
        assertThat(tree.add("a/+", "v")).isTrue();
        assertThat(tree.add("a/+", "v")).isFalse();
        assertThat(tree.add("a/+", "w")).isTrue();
        assertThat(tree.size()).isEqualTo(3);
        assertThat(tree.filters()).containsExactlyInAnyOrder("a/b", "a/+");
        assertThat(matchList(tree, "a/b")).containsExactlyInAnyOrder("v", "v", "w");

        assertThat(tree.remove("a/+", "v")).isTrue();
        assertThat(tree.remove("a/+", "v")).isFalse();
        assertThat(tree.remove("a/b", "x")).isFalse();
        assertThat(tree.remove("nope/+", "v")).isFalse();
        assertThat(tree.remove("nope", "v")).isFalse();
        assertThat(tree.size()).isEqualTo(2);
        assertThat(tree.remove("a/+", "w")).isTrue();
        assertThat(tree.remove("a/b", "v")).isTrue();
        assertThat(tree.size()).isZero();
        assertThat(tree.filters()).isEmpty();
        assertThat(matchList(tree, "a/b")).isEmpty();
    }

    @Test
    void removingAFilterKeepsItsNeighbours() {
        SubscriptionTree<String> tree = new SubscriptionTree<>();
        tree.add("a/+/c", "deep");
        tree.add("a/+", "shallow");
        tree.add("a/+/c/#", "deeper");
        tree.remove("a/+/c", "deep");
        assertThat(tree.filters()).containsExactlyInAnyOrder("a/+", "a/+/c/#");
        assertThat(matchList(tree, "a/b/c")).containsExactly("deeper");
        tree.remove("a/+/c/#", "deeper");
        assertThat(matchList(tree, "a/b")).containsExactly("shallow");
        assertThat(tree.filters()).containsExactly("a/+");
    }

    @Test
    void matchesLikeTopicsMatchesOnRandomSubscriptions() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        TopicGen gen = new TopicGen(random);
        SubscriptionTree<String> tree = new SubscriptionTree<>();
        Map<String, Set<String>> model = new HashMap<>();

        for (int op = 0; op < 3000; op++) {
            String filter = gen.filter();
            String value = "v" + random.nextInt(20);
            if (random.nextInt(3) == 0) {
                boolean expected = model.getOrDefault(filter, Set.of()).contains(value);
                assertThat(tree.remove(filter, value)).as("seed %d remove %s %s", seed, filter, value).isEqualTo(expected);
                if (expected) {
                    model.get(filter).remove(value);
                    if (model.get(filter).isEmpty()) model.remove(filter);
                }
            } else {
                boolean expected = !model.getOrDefault(filter, Set.of()).contains(value);
                assertThat(tree.add(filter, value)).as("seed %d add %s %s", seed, filter, value).isEqualTo(expected);
                model.computeIfAbsent(filter, f -> new HashSet<>()).add(value);
            }
        }

        assertThat(tree.size()).isEqualTo(model.values().stream().mapToInt(Set::size).sum());
        assertThat(tree.filters()).isEqualTo(model.keySet());
        for (int i = 0; i < 2000; i++) {
            String topic = gen.topic();
            List<String> expected = new ArrayList<>();
            model.forEach((filter, values) -> {
                if (Topics.matches(filter, topic)) expected.addAll(values);
            });
            assertThat(matchList(tree, topic)).as("seed %d topic '%s'", seed, topic)
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /**
     * Each thread owns one value and keeps adding it under filters that share trie nodes with
     * the other threads' filters, checking that match sees it, then removing it: the removes
     * prune nodes that concurrent adds are walking. A lost add fails the match check.
     */
    @Test
    void concurrentAddRemoveMatchLosesNothing() throws Exception {
        String topic = "x/y/z/w";
        String[] filters = {"x/y/z/w", "x/y/z/+", "x/y/+/w", "x/+/z/w", "+/y/z/w", "x/#", "x/y/#",
                "x/y/z/w/#", "#", "+/+/+/+", "x/+/+/w"};
        int writers = 6;
        int rounds = 20_000;
        SubscriptionTree<Integer> tree = new SubscriptionTree<>();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        try {
            List<Future<?>> writerResults = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int me = t;
                writerResults.add(pool.submit(() -> {
                    Random random = new Random(me);
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        String filter = filters[random.nextInt(filters.length)];
                        assertThat(tree.add(filter, me)).as("add %s", filter).isTrue();
                        Set<Integer> seen = new HashSet<>();
                        tree.match(topic, seen::add);
                        assertThat(seen).as("match after add %s", filter).contains(me);
                        assertThat(tree.remove(filter, me)).as("remove %s", filter).isTrue();
                    }
                    tree.add(filters[me % filters.length], me);
                    return null;
                }));
            }
            List<Future<?>> readerResults = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                readerResults.add(pool.submit(() -> {
                    start.await();
                    long matched = 0;
                    while (writing.get()) {
                        Set<Integer> seen = ConcurrentHashMap.newKeySet();
                        tree.match(topic, seen::add);
                        matched += seen.size();
                    }
                    return matched;
                }));
            }
            start.countDown();
            for (Future<?> f : writerResults) f.get(60, TimeUnit.SECONDS);
            writing.set(false);
            for (Future<?> f : readerResults) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        Set<String> expectedFilters = new HashSet<>();
        for (int t = 0; t < writers; t++) expectedFilters.add(filters[t % filters.length]);
        assertThat(tree.size()).isEqualTo(writers);
        assertThat(tree.filters()).isEqualTo(expectedFilters);
        List<Integer> seen = new ArrayList<>();
        tree.match(topic, seen::add);
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        for (int t = 0; t < writers; t++) assertThat(tree.remove(filters[t % filters.length], t)).isTrue();
        assertThat(tree.size()).isZero();
        assertThat(tree.filters()).isEmpty();
    }
}

package io.trellis.mqtt.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RetainedStoreTest {

    private static List<String> matchList(RetainedStore<String> store, String filter) {
        List<String> out = new ArrayList<>();
        store.match(filter, out::add);
        return out;
    }

    @Test
    void putGetRemoveAndSize() {
        RetainedStore<String> store = new RetainedStore<>();
        store.put("a/b", "1");
        store.put("a/b", "2");
        store.put("a", "3");
        store.put("a//c", "4");
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.get("a/b")).isEqualTo("2");
        assertThat(store.get("a")).isEqualTo("3");
        assertThat(store.get("a/")).isNull();
        assertThat(store.get("a/b/c")).isNull();

        store.remove("a");
        store.remove("a");
        store.remove("nope/x");
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.get("a")).isNull();
        assertThat(store.get("a/b")).isEqualTo("2");
        store.remove("a/b");
        store.remove("a//c");
        assertThat(store.size()).isZero();
        assertThat(matchList(store, "#")).isEmpty();
    }

    @Test
    void wildcardsFollowMqttRules() {
        RetainedStore<String> store = new RetainedStore<>();
        for (String topic : List.of("a", "a/b", "a/b/c", "a/", "/a", "b/x", "$SYS/x", "$SYS", "a/$x")) {
            store.put(topic, topic);
        }
        assertThat(matchList(store, "#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c", "a/", "/a", "b/x", "a/$x");
        assertThat(matchList(store, "a/#")).containsExactlyInAnyOrder("a", "a/b", "a/b/c", "a/", "a/$x");
        assertThat(matchList(store, "+")).containsExactly("a");
        assertThat(matchList(store, "+/+")).containsExactlyInAnyOrder("a/b", "a/", "/a", "b/x", "a/$x");
        assertThat(matchList(store, "+/x")).containsExactly("b/x");
        assertThat(matchList(store, "$SYS/#")).containsExactlyInAnyOrder("$SYS/x", "$SYS");
        assertThat(matchList(store, "$SYS/+")).containsExactly("$SYS/x");
        assertThat(matchList(store, "a/+/c")).containsExactly("a/b/c");
        assertThat(matchList(store, "/a")).containsExactly("/a");
        assertThat(matchList(store, "a/")).containsExactly("a/");
        assertThat(matchList(store, "nope/#")).isEmpty();
    }

    @Test
    void matchesLikeTopicsMatchesOnRandomTopics() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        TopicGen gen = new TopicGen(random);
        RetainedStore<String> store = new RetainedStore<>();
        Map<String, String> model = new HashMap<>();
        for (int op = 0; op < 3000; op++) {
            String topic = gen.topic();
            if (random.nextInt(3) == 0) {
                store.remove(topic);
                model.remove(topic);
            } else {
                String value = topic + "=" + op;
                store.put(topic, value);
                model.put(topic, value);
            }
        }
        assertThat(store.size()).isEqualTo(model.size());
        model.forEach((topic, value) -> assertThat(store.get(topic)).as("seed %d get %s", seed, topic).isEqualTo(value));
        for (int i = 0; i < 2000; i++) {
            String filter = gen.filter();
            List<String> expected = new ArrayList<>();
            model.forEach((topic, value) -> {
                if (Topics.matches(filter, topic)) expected.add(value);
            });
            assertThat(matchList(store, filter)).as("seed %d filter '%s'", seed, filter)
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /**
     * Threads put and remove topics that share nodes, so removes prune nodes that concurrent
     * puts are walking or writing to; each thread checks its own topic right after the put.
     */
    @Test
    void concurrentPutRemoveMatchLosesNothing() throws Exception {
        int writers = 6;
        int rounds = 20_000;
        RetainedStore<String> store = new RetainedStore<>();
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
                        // Threads 2j and 2j+1 use r/<k>/p<j> and r/<k>/p<j>/c: removing the
                        // child prunes the node the parent's put is about to write to.
                        String parent = "p" + (me / 2);
                        String own = me % 2 == 0 ? parent : parent + "/c";
                        String topic = "r/" + random.nextInt(3) + "/" + own;
                        String value = topic + "#" + r;
                        store.put(topic, value);
                        assertThat(store.get(topic)).as("get after put %s", topic).isEqualTo(value);
                        List<String> seen = new ArrayList<>();
                        store.match("r/+/" + own, seen::add);
                        assertThat(seen).as("match after put %s", topic).containsExactly(value);
                        // '#' walks whole subtrees, where a child map may hold a node it does
                        // not count yet: the walk must still reach this thread's node.
                        List<String> all = new ArrayList<>();
                        store.match("r/#", all::add);
                        assertThat(all).as("match r/# after put %s", topic).contains(value);
                        store.remove(topic);
                        assertThat(store.get(topic)).as("get after remove %s", topic).isNull();
                    }
                    store.put("r/s/final/t" + me, "final" + me);
                    return null;
                }));
            }
            List<Future<?>> readerResults = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                readerResults.add(pool.submit(() -> {
                    start.await();
                    long matched = 0;
                    while (writing.get()) {
                        List<String> seen = new ArrayList<>();
                        store.match("r/#", seen::add);
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

        assertThat(store.size()).isEqualTo(writers);
        assertThat(matchList(store, "r/#"))
                .containsExactlyInAnyOrder("final0", "final1", "final2", "final3", "final4", "final5");
        assertThat(matchList(store, "r/s/+/+")).hasSize(writers);
    }
}

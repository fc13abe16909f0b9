package io.trellis.jmh.topic;

import io.trellis.mqtt.topic.SubscriptionTree;
import io.trellis.mqtt.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SubscriptionTree.match, the broker's per-PUBLISH routing look-up, over a tree shaped like an
 * IoT deployment: {@code devices/<id>/telemetry/<metric>} topics, mostly exact subscriptions,
 * some per-device wildcards and a few fleet-wide dashboards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class SubscriptionTreeBenchmark {
    static final String[] METRICS = {"temp", "humidity", "pressure", "battery", "rssi", "co2", "lux", "noise",
            "voltage", "current"};

    /** (filter, value) pairs in the tree. */
    @Param("100000")
    public int subscriptions;

    private SubscriptionTree<String> tree;
    private List<String> filters;
    private String[] publishedTopics;
    private String[] unsubscribedTopics;
    private int next;
    private long delivered;
    private final Consumer<String> sink = v -> delivered++;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        int devices = Math.max(1, subscriptions / 10);
        tree = new SubscriptionTree<>();
        filters = new ArrayList<>();
        int added = 0;
        // A few fleet-wide dashboards, then per-device subscribers.
        for (String metric : METRICS) {
            for (int d = 0; d < 2; d++) {
                added += add("devices/+/telemetry/" + metric, "dashboard-" + d);
            }
        }
        while (added < subscriptions) {
            String device = "d" + random.nextInt(devices);
            String metric = METRICS[random.nextInt(METRICS.length)];
            int kind = random.nextInt(100);
            String filter;
            if (kind < 80) {
                filter = "devices/" + device + "/telemetry/" + metric;
            } else if (kind < 90) {
                filter = "devices/" + device + "/telemetry/+";
            } else if (kind < 97) {
                filter = "devices/" + device + "/#";
            } else {
                filter = "devices/" + device + "/+/" + metric;
            }
            added += add(filter, "client-" + random.nextInt(subscriptions));
        }
        publishedTopics = new String[1024];
        unsubscribedTopics = new String[1024];
        for (int i = 0; i < publishedTopics.length; i++) {
            String metric = METRICS[random.nextInt(METRICS.length)];
            publishedTopics[i] = "devices/d" + random.nextInt(devices) + "/telemetry/" + metric;
            unsubscribedTopics[i] = "factory/line" + random.nextInt(100) + "/robot" + random.nextInt(devices) + "/" + metric;
        }
    }

    private int add(String filter, String value) {
        if (!tree.add(filter, value)) return 0;
        filters.add(filter);
        return 1;
    }

    /** A topic with subscribers: exact hits plus the wildcard branches of its device. */
    @Benchmark
    public long match() {
        tree.match(publishedTopics[next++ & 1023], sink);
        return delivered;
    }

    /** A topic nobody subscribed to: the cost of finding nothing. */
    @Benchmark
    public long matchUnsubscribed() {
        tree.match(unsubscribedTopics[next++ & 1023], sink);
        return delivered;
    }

    /** The skeleton's first cut, for comparison: Topics.matches against every filter. */
    @Benchmark
    public long linearScanBaseline() {
        String topic = publishedTopics[next++ & 1023];
        long hits = 0;
        for (String filter : filters) {
            if (Topics.matches(filter, topic)) hits++;
        }
        return hits;
    }
}

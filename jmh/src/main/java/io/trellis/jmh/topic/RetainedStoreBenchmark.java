package io.trellis.jmh.topic;

import io.trellis.mqtt.topic.RetainedStore;
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
 * RetainedStore.match, run on every SUBSCRIBE, over retained messages on
 * {@code devices/<id>/telemetry/<metric>} (every device retains every metric).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class RetainedStoreBenchmark {
    /** Retained topics in the store. */
    @Param("100000")
    public int retained;

    private RetainedStore<String> store;
    private String[] deviceFilters;
    private String[] exactTopics;
    private int next;
    private long delivered;
    private final Consumer<String> sink = v -> delivered++;

    @Setup
    public void setUp() {
        String[] metrics = SubscriptionTreeBenchmark.METRICS;
        int devices = Math.max(1, retained / metrics.length);
        store = new RetainedStore<>();
        for (int d = 0; d < devices; d++) {
            for (String metric : metrics) {
                String topic = "devices/d" + d + "/telemetry/" + metric;
                store.put(topic, topic);
            }
        }
        store.put("$SYS/brokers/trellis@127.0.0.1/version", "0.1.0");
        Random random = new Random(42);
        deviceFilters = new String[1024];
        exactTopics = new String[1024];
        for (int i = 0; i < deviceFilters.length; i++) {
            int device = random.nextInt(devices);
            deviceFilters[i] = "devices/d" + device + "/#";
            exactTopics[i] = "devices/d" + device + "/telemetry/" + metrics[random.nextInt(metrics.length)];
        }
    }

    /** One metric of every device: '+' fans out over all devices (retained / 10 results). */
    @Benchmark
    public long matchOneMetricOfAllDevices() {
        store.match("devices/+/telemetry/temp", sink);
        return delivered;
    }

    /** Everything one device retained: '#' under one branch (10 results). */
    @Benchmark
    public long matchOneDevice() {
        store.match(deviceFilters[next++ & 1023], sink);
        return delivered;
    }

    /** Everything: '#' over the whole store (skipping $SYS). */
    @Benchmark
    public long matchAll() {
        store.match("#", sink);
        return delivered;
    }

    /** A filter without wildcards: one path walk. */
    @Benchmark
    public long matchExactTopic() {
        store.match(exactTopics[next++ & 1023], sink);
        return delivered;
    }
}

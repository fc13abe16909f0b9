package io.trellis.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.bench.stats.Stats;
import io.trellis.bench.stats.Summary;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The pieces of the bench that need no broker. */
class BenchPartsTest {
    @Test
    void durations() {
        BenchMain.DurationConverter c = new BenchMain.DurationConverter();
        assertThat(c.convert("10")).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> c.convert("5x")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'5x' is not a duration");
    }

    @Test
    void pubsubFilterReplacesPerClientLevelsWithPlus() {
        assertThat(BenchMain.PubSub.wildcardFilter("bench/%i")).isEqualTo("bench/+");
        assertThat(BenchMain.PubSub.wildcardFilter("a/t-%c/b/%i/c")).isEqualTo("a/+/b/+/c");
        assertThat(BenchMain.PubSub.wildcardFilter("bench/fanout")).isEqualTo("bench/fanout");
        assertThat(BenchMain.Scenario.expand("t/%i/%c", 7, "id-7")).isEqualTo("t/7/id-7");
    }

    @Test
    void summaryMedianOverallLatencyAndJson() {
        Stats stats = new Stats();
        stats.sent.add(100);
        stats.received.add(90);
        for (long v = 1; v <= 1000; v++) {
            stats.recordLatency(v * 1_000); // 1 us .. 1 ms
        }
        Summary s = Summary.of("pubsub", 3, stats, 2.0, List.of(10L, 50L, 40L), List.of(5L, 20L, 30L, 40L), 0);
        assertThat(s.sentMedianPerSec()).isEqualTo(40);
        assertThat(s.recvMedianPerSec()).isEqualTo(25);
        assertThat(s.sentOverallPerSec()).isEqualTo(50);
        assertThat(s.latency().count()).isEqualTo(1000);
        assertThat(s.latency().p50()).isBetween(0.49, 0.51);
        assertThat(s.latency().max()).isBetween(0.99, 1.01);
        assertThat(s.toJson()).contains("\"sent\":100,", "\"received\":90,", "\"sent_per_s\":{\"median\":40.0,\"overall\":50.0}");
        assertThat(s.toText()).contains("latency ms    p50 0.5");
    }

    @Test
    void warmupIsLeftOutOfTheSummary() {
        Stats stats = new Stats();
        stats.sent.add(1000);
        stats.recordLatency(5_000_000_000L);
        stats.startMeasuring();
        stats.sent.add(10);
        stats.recordLatency(1_000_000);
        Summary s = Summary.of("pub", 1, stats, 1.0, List.of(), List.of(), 0);
        assertThat(s.sent()).isEqualTo(10);
        assertThat(s.latency().count()).isEqualTo(1);
        assertThat(s.latency().max()).isLessThan(2);
    }
}

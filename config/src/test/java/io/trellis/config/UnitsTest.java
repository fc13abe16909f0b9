package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({
            "1MB, 1048576",
            "64KB, 65536",
            "1GB, 1073741824",
            "512B, 512",
            "1024, 1024",
            "1mb, 1048576",
            "16Mb, 16777216",
            "0, 0"})
    void sizesAreEmqxUnitsInPowersOf1024(String text, long bytes) {
        assertThat(Units.parseBytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12XB", "1.5MB", "MB", "-1KB", "1 M", "", "99999999999GB"})
    void badSizesAreRejected(String text) {
        assertThatThrownBy(() -> Units.parseBytes(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({
            "15s, PT15S",
            "100ms, PT0.1S",
            "1h30m, PT1H30M",
            "2d, PT48H",
            "1m, PT1M",
            "1H, PT1H",
            "1h30m10s500ms, PT1H30M10.5S"})
    void durationsAreEmqxUnits(String text, Duration expected) {
        assertThat(Units.parseDuration(text, false)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"15", "15x", "s", "1h 30m", "1.5s", "", "h1"})
    void badDurationsAreRejected(String text) {
        assertThatThrownBy(() -> Units.parseDuration(text, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bareNumberIsSecondsOnlyWhereTheKeySaysSo() {
        assertThat(Units.parseDuration("30", true)).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> Units.parseDuration("30", false)).hasMessageContaining("no unit");
    }

    @Test
    void printsTheShortestExactForm() {
        assertThat(Units.formatBytes(1048576)).isEqualTo("1MB");
        assertThat(Units.formatBytes(65536)).isEqualTo("64KB");
        assertThat(Units.formatBytes(1000)).isEqualTo("1000B");
        assertThat(Units.formatDuration(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(Units.formatDuration(Duration.ofMillis(100))).isEqualTo("100ms");
        assertThat(Units.formatDuration(Keys.INFINITY)).isEqualTo("infinity");
    }
}

package io.trellis.mqtt.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

    static Stream<Arguments> matchingCases() {
        return Stream.of(
                // exact
                m("a", "a", true),
                m("a/b", "a/b", true),
                m("a/b", "a/c", false),
                m("a", "a/b", false),
                m("a/b", "a", false),
                m("a", "ab", false),
                m("ab", "a", false),
                // '+'
                m("+", "a", true),
                m("+", "a/b", false),
                m("a/+", "a/b", true),
                m("a/+", "a", false),
                m("a/+", "a/b/c", false),
                m("a/+/c", "a/b/c", true),
                m("a/+/c", "a/b/d", false),
                m("+/+", "a/b", true),
                m("+/+", "/a", true),
                m("+/+", "a/", true),
                m("+/+", "a", false),
                m("+/+", "a/b/c", false),
                m("a/+/b", "a//b", true), // '+' matches an empty level
                m("+", "/a", false),
                m("/+", "/a", true),
                m("+/a", "/a", true),
                m("a/+", "a/", true),
                // '#'
                m("#", "a", true),
                m("#", "a/b/c", true),
                m("#", "/a", true),
                m("a/#", "a", true), // '#' matches the parent level
                m("a/#", "a/b", true),
                m("a/#", "a/b/c", true),
                m("a/#", "a/", true),
                m("a/#", "ab", false),
                m("a/#", "b/a", false),
                m("a/b/#", "a", false),
                m("+/#", "a", true),
                m("+/#", "a/b", true),
                m("/#", "/a", true),
                m("/#", "a", false),
                // '/' edge levels
                m("/a", "/a", true),
                m("/a", "a", false),
                m("a/", "a/", true),
                m("a/", "a", false),
                m("a//b", "a//b", true),
                // '$' topics (MQTT 4.7.2)
                m("#", "$SYS/x", false),
                m("+/x", "$SYS/x", false),
                m("+", "$SYS", false),
                m("+/#", "$SYS/x", false),
                m("$SYS/#", "$SYS/x", true),
                m("$SYS/#", "$SYS", true),
                m("$SYS/+", "$SYS/x", true),
                m("$SYS/x", "$SYS/x", true),
                m("a/#", "a/$x", true),
                m("a/+", "a/$x", true),
                m("#", "a$", true));
    }

    private static Arguments m(String filter, String topic, boolean matches) {
        return Arguments.of(filter, topic, matches);
    }

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @MethodSource("matchingCases")
    void matchesFollowsMqttRules(String filter, String topic, boolean expected) throws Exception {
        Topics.validateFilter(filter, 0);
        Topics.validateName(topic, 0);
        assertThat(Topics.matches(filter, topic)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b", "/", "//", "a/", "/a", "$SYS/x", "a b/ü/€/😀", "a$"})
    void validNamesPass(String topic) {
        assertThatCode(() -> Topics.validateName(topic, 128)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"#", "+", "a/#", "a/+/b", "/", "+/+", "a//b", "$SYS/#", "a/b/c", "+/#", "$share"})
    void validFiltersPass(String filter) {
        assertThatCode(() -> Topics.validateFilter(filter, 128)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "name {0}")
    @MethodSource("badNames")
    void badNamesSayWhichRuleIsBroken(String topic, String message) {
        assertThatThrownBy(() -> Topics.validateName(topic, 4))
                .isInstanceOf(InvalidTopicException.class)
                .hasMessageContaining(message);
    }

    static Stream<Arguments> badNames() {
        return Stream.of(
                Arguments.of("", "topic name is empty"),
                Arguments.of("a/+", "contains the wildcard '+' at index 2: wildcards are allowed only in subscription filters"),
                Arguments.of("a/#", "contains the wildcard '#' at index 2"),
                Arguments.of("a#", "contains the wildcard '#'"),
                Arguments.of("a\0b", "contains the NUL character U+0000 at index 1"),
                Arguments.of("a/b/c/d/e", "has 5 levels, more than the limit of 4 (mqtt.max_topic_levels)"),
                Arguments.of("////", "has 5 levels"),
                Arguments.of("x".repeat(65536), "is 65536 bytes in UTF-8, more than MQTT's limit of 65535 bytes"),
                Arguments.of("é".repeat(32768), "is 65536 bytes in UTF-8"));
    }

    @ParameterizedTest(name = "filter {0}")
    @MethodSource("badFilters")
    void badFiltersSayWhichRuleIsBroken(String filter, String message) {
        assertThatThrownBy(() -> Topics.validateFilter(filter, 4))
                .isInstanceOf(InvalidTopicException.class)
                .hasMessageContaining(message);
    }

    static Stream<Arguments> badFilters() {
        return Stream.of(
                Arguments.of("", "topic filter is empty"),
                Arguments.of("a#", "has '#' at index 1: the multi-level wildcard '#' must be a whole level and the last one"),
                Arguments.of("a/#/b", "has '#' at index 2"),
                Arguments.of("##", "has '#' at index 0"),
                Arguments.of("a/b#", "has '#' at index 3"),
                Arguments.of("a+", "has '+' at index 1: the single-level wildcard '+' must be a whole level"),
                Arguments.of("+a", "has '+' at index 0"),
                Arguments.of("a/++", "has '+' at index 2"),
                Arguments.of("a/\0", "contains the NUL character U+0000 at index 2"),
                Arguments.of("+/+/+/+/+", "has 5 levels, more than the limit of 4 (mqtt.max_topic_levels)"),
                Arguments.of("a".repeat(65536), "more than MQTT's limit of 65535 bytes"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void nonPositiveMaxLevelsMeansNoLimit(int maxLevels) {
        assertThatCode(() -> Topics.validateName("a/".repeat(1000) + "a", maxLevels)).doesNotThrowAnyException();
        assertThatCode(() -> Topics.validateFilter("+/".repeat(1000) + "#", maxLevels)).doesNotThrowAnyException();
    }

    @Test
    void longTopicsAreCutInMessages() {
        assertThatThrownBy(() -> Topics.validateName("x".repeat(70000) + "+", 0))
                .hasMessageContaining("...")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
    }
}

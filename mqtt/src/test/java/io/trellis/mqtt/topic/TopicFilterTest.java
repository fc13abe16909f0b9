package io.trellis.mqtt.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TopicFilterTest {

    @Test
    void plainFilterHasNoGroup() throws Exception {
        TopicFilter f = TopicFilter.parse("a/+/c", 128);
        assertThat(f).isEqualTo(new TopicFilter("a/+/c", "a/+/c", null));
        assertThat(f.isShared()).isFalse();
        assertThat(f.hasWildcard()).isTrue();
        assertThat(TopicFilter.parse("a/b", 128).hasWildcard()).isFalse();
    }

    @Test
    void sharedFilterSplitsGroupAndFilter() throws Exception {
        TopicFilter f = TopicFilter.parse("$share/g1/a/#", 128);
        assertThat(f).isEqualTo(new TopicFilter("$share/g1/a/#", "a/#", "g1"));
        assertThat(f.isShared()).isTrue();
        assertThat(f.hasWildcard()).isTrue();
        assertThat(TopicFilter.parse("$share/g/$SYS/x", 128).filter()).isEqualTo("$SYS/x");
        assertThat(TopicFilter.parse("$share/g//a", 128).filter()).isEqualTo("/a");
        assertThat(TopicFilter.parse("$share/$queue/a", 128).shareGroup()).isEqualTo("$queue");
    }

    @Test
    void queueFilterIsSharedWithGroupQueue() throws Exception {
        TopicFilter f = TopicFilter.parse("$queue/a/+", 128);
        assertThat(f).isEqualTo(new TopicFilter("$queue/a/+", "a/+", "$queue"));
        assertThat(f.isShared()).isTrue();
    }

    @Test
    void prefixesThatOnlyLookLikeShareAreTopics() throws Exception {
        assertThat(TopicFilter.parse("$shared/a", 128).shareGroup()).isNull();
        assertThat(TopicFilter.parse("$queues/a", 128).shareGroup()).isNull();
        assertThat(TopicFilter.parse("a/$share/g/b", 128).shareGroup()).isNull();
    }

    @Test
    void maxLevelsAppliesToTheFilterWithoutPrefix() throws Exception {
        assertThat(TopicFilter.parse("$share/g/a/b", 2).filter()).isEqualTo("a/b");
        assertThat(TopicFilter.parse("$queue/a/b", 2).filter()).isEqualTo("a/b");
        assertThatThrownBy(() -> TopicFilter.parse("$share/g/a/b/c", 2)).hasMessageContaining("has 3 levels");
    }

    static Stream<Arguments> badShares() {
        return Stream.of(
                Arguments.of("$share", "has no share name"),
                Arguments.of("$share/", "has no share name"),
                Arguments.of("$share//a", "has an empty share name"),
                Arguments.of("$share/g", "has no topic filter after the share name"),
                Arguments.of("$share/g/", "has no topic filter after the share name"),
                Arguments.of("$share/g+/a", "has '+' in its share name 'g+'"),
                Arguments.of("$share/+/a", "has '+' in its share name"),
                Arguments.of("$share/#/a", "has '#' in its share name"),
                Arguments.of("$share/g\0/a", "has U+0000 in its share name"),
                Arguments.of("$share/g/a#", "has '#' at index 1"),
                Arguments.of("$queue", "has no topic filter"),
                Arguments.of("$queue/", "has no topic filter"),
                Arguments.of("$queue/a/#/b", "the multi-level wildcard '#' must be a whole level"),
                Arguments.of("", "topic filter is empty"),
                Arguments.of("a/b+", "the single-level wildcard '+' must be a whole level"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badShares")
    void badFiltersAreRejectedWithTheRule(String raw, String message) {
        assertThatThrownBy(() -> TopicFilter.parse(raw, 128))
                .isInstanceOf(InvalidTopicException.class)
                .hasMessageContaining(message);
    }
}

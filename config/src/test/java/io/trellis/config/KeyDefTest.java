package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The schema machinery on keys defined here, outside Keys (not registered). */
class KeyDefTest {

    private static <T> T parse(KeyDef<T> key, Object value) throws BadValue {
        return key.parse(ConfigValueFactory.fromAnyRef(value));
    }

    @Test
    void bareNumberDurationIsSecondsOnlyForKeysThatSaySo() throws Exception {
        KeyDef<Duration> seconds = new KeyDef.Builder<>("x.timeout", ValueTypes.duration(true), null).byDefault("30").doc("d");
        KeyDef<Duration> strict = new KeyDef.Builder<>("x.timeout", ValueTypes.duration(false), null).byDefault("30s").doc("d");
        assertThat(seconds.defaultValue()).isEqualTo(Duration.ofSeconds(30));
        assertThat(parse(seconds, 5)).isEqualTo(Duration.ofSeconds(5));
        assertThat(seconds.typeName()).contains("a bare number is seconds");
        assertThatThrownBy(() -> parse(strict, 5)).isInstanceOf(BadValue.class)
                .hasMessage("'5' has no unit (write 5s for seconds or 5ms for milliseconds)");
    }

    @Test
    void wordsChecksAndEmptyValues() throws Exception {
        KeyDef<Integer> limit = new KeyDef.Builder<>("x.limit", ValueTypes.integer(1, 10), null)
                .word("infinity", Integer.MAX_VALUE).word("disabled", 0)
                .check(v -> v != 7, "7 is unlucky", "write another number").byDefault("infinity").doc("d");
        assertThat(limit.defaultValue()).isEqualTo(Integer.MAX_VALUE);
        assertThat(parse(limit, "Infinity")).isEqualTo(Integer.MAX_VALUE);
        assertThat(parse(limit, "disabled")).isZero();
        assertThat(limit.format(Integer.MAX_VALUE)).isEqualTo("infinity");
        assertThat(limit.allowed()).isEqualTo("disabled (= 0); infinity (= 2147483647)");
        assertThatThrownBy(() -> parse(limit, 7)).hasMessage("7 is unlucky (write another number)");
        assertThatThrownBy(() -> parse(limit, 11)).hasMessage("11 is out of range (write a whole number from 1 to 10)");
        assertThat(parse(Keys.API_KEY_BOOTSTRAP_FILE, "")).isNull();
        assertThatThrownBy(() -> parse(Keys.LOG_FILE_PATH, "")).hasMessageContaining("the path is empty");
    }

    @Test
    void listsAcceptHoconListsOrCommaSeparatedText() throws Exception {
        assertThat(parse(Keys.SSL_CIPHERS, List.of("A", "B"))).containsExactly("A", "B");
        assertThat(parse(Keys.SSL_CIPHERS, "A, B")).containsExactly("A", "B");
        assertThat(parse(Keys.SSL_CIPHERS, "")).isEmpty();
        assertThatThrownBy(() -> parse(Keys.SSL_VERSIONS, List.of("tlsv1.1")))
                .hasMessage("'tlsv1.1' is not allowed (write a list of tlsv1.3, tlsv1.2)");
        assertThatThrownBy(() -> parse(Keys.SSL_VERSIONS, List.of())).hasMessageContaining("no TLS version");
    }

    @Test
    void aBadDefaultIsCaughtWhenTheKeyIsDefined() {
        assertThatThrownBy(() -> new KeyDef.Builder<>("x.size", ValueTypes.bytes(1, 10), null).byDefault("1MB").doc("d"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad default for x.size");
    }

    @Test
    void secretTypeNeverShowsTheValue() throws Exception {
        KeyDef<Secret> key = new KeyDef.Builder<>("x.secret", ValueTypes.secret(), null).doc("d");
        assertThat(key.secret()).isTrue();
        assertThat(key.format(parse(key, "hunter2"))).isEqualTo("******");
        assertThatThrownBy(() -> parse(key, List.of("hunter2"))).isInstanceOf(BadValue.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }
}

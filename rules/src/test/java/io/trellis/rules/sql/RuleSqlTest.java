package io.trellis.rules.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.rules.RuleInput;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleSqlTest {

    private static final RuleInput MSG = new RuleInput("0123abcd", "sensors/room1/temp",
            "{\"temp\": 21.5, \"hum\": 40, \"dev\": {\"id\": \"d-1\", \"tags\": [\"a\", \"b\"]}, \"n\": \"10\"}"
                    .getBytes(StandardCharsets.UTF_8),
            1, true, "client-7", "alice", "10.0.0.5", 1_700_000_000_000L, Map.of("k", "v"));

    private static Object one(String expr) throws SqlParseException {
        Map<String, Object> out = RuleSql.parse("SELECT " + expr + " AS x FROM \"#\"").evaluate(MSG).orElseThrow();
        return out.get("x");
    }

    private static boolean passes(String where) throws SqlParseException {
        return RuleSql.parse("SELECT * FROM \"#\" WHERE " + where).evaluate(MSG).isPresent();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            payload.temp                          | 21.5
            payload.dev.id                        | d-1
            payload.dev.tags[1]                   | a
            payload.dev.tags[-1]                  | b
            payload.missing.deeper                | <null>
            topic                                 | sensors/room1/temp
            qos                                   | 1
            clientid                              | client-7
            username                              | alice
            peerhost                              | 10.0.0.5
            timestamp                             | 1700000000000
            id                                    | 0123abcd
            flags.retain                          | true
            pub_props.User-Property.k             | v
            1 + 2 * 3                             | 7
            (1 + 2) * 3                           | 9
            7 / 2                                 | 3.5
            6 / 2                                 | 3.0
            str(2.0)                              | 2.0
            7 div 2                               | 3
            7 mod 2                               | 1
            -payload.hum                          | -40
            'a' + 'b'                             | ab
            payload.n + 1                         | 11
            abs(-3)                               | 3
            round(2.5)                            | 3
            floor(2.7)                            | 2
            ceil(2.1)                             | 3
            lower('AbC')                          | abc
            upper('abc')                          | ABC
            trim('  x ')                          | x
            concat('a', payload.hum)              | a40
            substr('hello', 1, 3)                 | ell
            nth(2, split(topic, '/'))             | room1
            str(payload.hum)                      | 40
            int('42')                             | 42
            int(3.9)                              | 3
            float('1.5')                          | 1.5
            bool('true')                          | true
            is_null(payload.nope)                 | true
            is_not_null(payload.temp)             | true
            json_encode(payload.dev.tags)         | ["a","b"]
            map_get('a', json_decode('{"a":1}'))  | 1
            map_get('id', payload.dev)            | d-1
            map_get('x', payload.dev, 'dflt')     | dflt
            coalesce(payload.nope, 'fallback')    | fallback
            topic(2)                              | room1
            base64_encode('hi')                   | aGk=
            base64_decode('aGk=')                 | hi
            md5('a')                              | 0cc175b9c0f1b6a831c399e269772661
            sha256('a')                           | ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
            contains('oom', topic)                | true
            regex_match(clientid, '^client-[0-9]+$') | true
            CASE WHEN payload.temp > 30 THEN 'hot' WHEN payload.temp > 20 THEN 'warm' ELSE 'cold' END | warm
            CASE qos WHEN 0 THEN 'zero' WHEN 1 THEN 'one' END | one
            CASE qos WHEN 2 THEN 'two' END        | <null>
            """)
    void selectsValues(String expr, String expected) throws SqlParseException {
        Object value = one(expr);
        if (expected.equals("<null>")) {
            assertThat(value).isNull();
        } else {
            assertThat(Values.str(value)).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            payload.temp > 20                      | true
            payload.temp >= 21.5 and qos = 1       | true
            payload.temp < 20 or clientid = 'client-7' | true
            not payload.temp > 20                  | false
            payload.n = 10                         | true
            payload.n > 9                          | true
            payload.hum = '40'                     | true
            username != 'bob'                      | true
            username <> 'alice'                    | false
            payload.missing = 1                    | false
            payload.missing != 1                   | false
            payload.missing = undefined            | true
            topic =~ 'sensors/+/temp'              | true
            topic =~ 'sensors/#'                   | true
            topic =~ 'other/#'                     | false
            qos in (0, 1)                          | true
            qos not in (0, 1)                      | false
            clientid in ('a', 'client-7')          | true
            flags.retain = true                    | true
            is_null(username)                      | false
            """)
    void filtersWithWhere(String where, boolean expected) throws SqlParseException {
        assertThat(passes(where)).isEqualTo(expected);
    }

    @Test
    void unaliasedPathsKeepTheirShapeAndStarSelectsAllColumns() throws SqlParseException {
        Map<String, Object> out = RuleSql.parse("SELECT payload.dev.id, payload.temp, qos FROM \"sensors/#\"").evaluate(MSG).orElseThrow();
        assertThat(out).isEqualTo(Map.of("payload", Map.of("dev", Map.of("id", "d-1"), "temp", 21.5), "qos", 1L));

        Map<String, Object> all = RuleSql.parse("SELECT * FROM \"#\"").evaluate(MSG).orElseThrow();
        assertThat(all).containsEntry("topic", "sensors/room1/temp").containsEntry("clientid", "client-7")
                .containsEntry("payload", MSG.payloadText()).containsKeys("timestamp", "flags", "pub_props", "peerhost");
    }

    @Test
    void aliasesNestAndAreVisibleToLaterFieldsAndWhere() throws SqlParseException {
        RuleSql sql = RuleSql.parse("SELECT payload.temp as t, t * 2 as out.double FROM \"#\" WHERE t > 21");
        assertThat(sql.evaluate(MSG)).contains(Map.of("t", 21.5, "out", Map.of("double", 43.0)));
        assertThat(RuleSql.parse("SELECT payload.temp as t FROM \"#\" WHERE t > 22").evaluate(MSG)).isEmpty();
    }

    @Test
    void fromMatchesAnyOfSeveralFilters() throws SqlParseException {
        RuleSql sql = RuleSql.parse("select * from \"a/#\", 'sensors/+/temp'");
        assertThat(sql.filters()).containsExactly("a/#", "sensors/+/temp");
        assertThat(sql.matchesTopic("sensors/x/temp")).isTrue();
        assertThat(sql.matchesTopic("a")).isTrue();
        assertThat(sql.matchesTopic("b/c")).isFalse();
    }

    @Test
    void payloadThatIsNotJsonGivesUndefinedFields() throws SqlParseException {
        RuleInput plain = RuleInput.of("t", "not json", 0);
        assertThat(RuleSql.parse("SELECT payload.a as a, payload FROM \"t\"").evaluate(plain))
                .hasValueSatisfying(m -> assertThat(m).containsEntry("a", null).containsEntry("payload", "not json"));
    }

    @Test
    void evaluationErrorsSayWhatIsWrong() throws SqlParseException {
        RuleSql sql = RuleSql.parse("SELECT payload.dev.id + 1 as x FROM \"#\"");
        assertThatThrownBy(() -> sql.evaluate(MSG)).isInstanceOf(RuleEvalException.class)
                .hasMessageContaining("expected a number").hasMessageContaining("d-1");
        assertThatThrownBy(() -> RuleSql.parse("SELECT 1 div 0 as x FROM \"#\"").evaluate(MSG))
                .isInstanceOf(RuleEvalException.class).hasMessageContaining("division by zero");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            SELECT * WHERE qos = 1                      | line 1, col 10: expected FROM but found 'WHERE'
            SELECT a, b FORM "t"                        | line 1, col 13: expected FROM but found 'FORM'
            SELECT FROM "t"                             | line 1, col 8: expected a field to select before FROM
            SELECT * FROM t                             | line 1, col 15: expected a quoted topic filter
            SELECT * FROM "a/#/b"                       | line 1, col 15: invalid topic filter "a/#/b"
            SELECT * FROM "t" WHERE                     | line 1, col 24: expected a value, a field or a function call but found end of input
            SELECT nosuch(1) FROM "t"                   | line 1, col 8: unknown function 'nosuch'
            SELECT abs(1, 2) FROM "t"                   | line 1, col 8: abs() takes 1 argument(s), got 2
            SELECT (1 + 2 FROM "t"                      | line 1, col 15: expected ')' to close '(' but found 'FROM'
            SELECT 'abc FROM "t"                        | line 1, col 8: unterminated string
            SELECT * FROM "t" WHERE qos in 1            | line 1, col 32: expected '(' after IN but found '1'
            SELECT * FROM "t" WHERE CASE WHEN 1 THEN 2  | line 1, col 43: expected END but found end of input
            SELECT payload.a[0] FROM "t"                | line 1, col 18: expected an index from 1
            SELECT * FROM "t" x                         | line 1, col 19: expected WHERE or the end of the rule but found 'x'
            SELECT a AS FROM "t"                        | line 1, col 13: expected an alias after AS but found 'FROM'
            SELECT a ? b FROM "t"                       | line 1, col 10: unexpected character '?'
            """)
    void parseErrorsNameThePositionAndWhatWasExpected(String sql, String message) {
        assertThatThrownBy(() -> RuleSql.parse(sql)).isInstanceOf(SqlParseException.class).hasMessageStartingWith(message);
    }

    @Test
    void errorsOnLaterLinesCountLines() {
        assertThatThrownBy(() -> RuleSql.parse("SELECT\n  payload.a\nFRM \"t\""))
                .isInstanceOf(SqlParseException.class).hasMessageStartingWith("line 3, col 1: expected FROM but found 'FRM'")
                .satisfies(e -> assertThat(((SqlParseException) e).line()).isEqualTo(3));
    }

    @Test
    void splitDropsEmptyPartsAsEmqx() throws SqlParseException {
        assertThat(one("split('/a/b/', '/')")).isEqualTo(List.of("a", "b"));
        assertThat(Optional.ofNullable(one("nth(5, split(topic, '/'))"))).isEmpty();
    }
}

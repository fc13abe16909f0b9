package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicFiltersTest {

  @ParameterizedTest(name = "rule {0} covers {1}: {2}")
  @CsvSource({
      // topic names
      "t/a,       t/a,        true",
      "t/a,       t/b,        false",
      "t/+,       t/a,        true",
      "t/+,       t/a/b,      false",
      "t/#,       t/a/b,      true",
      "t/#,       t,          true",
      "t/#,       u/a,        false",
      "#,         anything/at/all, true",
      "+/+,       a/b,        true",
      "t//x,      t//x,       true",
      "t/+/x,     t//x,       true",
      // subscription filters: containment
      "t/#,       t/a/+,      true",
      "t/#,       t/#,        true",
      "t/#,       t/+,        true",
      "t/+,       t/+,        true",
      "t/+,       t/#,        false",
      "t/a,       t/+,        false",
      "t/+/x,     t/+/x,      true",
      "t/+/x,     t/+/#,      false",
      "#,         #,          true",
      "#,         +/#,        true",
      "+/#,       #,          false",
      "t/a/#,     t/#,        false",
      // $ topics are not matched by a first-level wildcard
      "#,         $SYS/brokers, false",
      "#,         $SYS/#,     false",
      "+/#,       $SYS/x,     false",
      "$SYS/#,    $SYS/#,     true",
      "$SYS/#,    $SYS/brokers/+, true",
      "$SYS/+,    $SYS/a,     true",
      "t/#,       t/$x,       true",
  })
  void covers(String rule, String subject, boolean expected) {
    assertThat(TopicFilters.covers(rule, subject)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', value = {
      "t/#      |",
      "#        |",
      "+/x/+    |",
      "t/#/x    | '#' must be a whole level and the last one",
      "t#       | '#' must be a whole level and the last one",
      "t/a+     | '+' must be a whole level",
      "''       | a topic filter cannot be empty",
  })
  void filterProblems(String filter, String problem) {
    String actual = TopicFilters.filterProblem(filter);
    if (problem == null) {
      assertThat(actual).isNull();
    } else {
      assertThat(actual).startsWith(problem);
    }
  }
}

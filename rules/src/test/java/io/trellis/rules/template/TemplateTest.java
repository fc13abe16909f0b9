package io.trellis.rules.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateTest {

    private static final Map<String, Object> FIELDS = fields();

    private static Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clientid", "c1");
        m.put("qos", 1L);
        m.put("temp", 21.5);
        m.put("ok", true);
        m.put("payload", "{\"a\": {\"b\": 7}, \"s\": \"x\"}");
        m.put("obj", Map.of("k", "v"));
        m.put("list", List.of(1L, 2L));
        m.put("nothing", null);
        return m;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "<null>", textBlock = """
            plain text                    | plain text
            repub/${clientid}             | repub/c1
            ${qos}/${temp}/${ok}          | 1/21.5/true
            ${payload.a.b}                | 7
            ${payload.s}-${payload.a}     | x-{"b":7}
            ${obj}                        | {"k":"v"}
            ${list}                       | [1,2]
            [${missing}]                  | []
            [${nothing}]                  | []
            [${payload.nope.deeper}]      | []
            ${ clientid }                 | c1
            ${.clientid}                  | c1
            unclosed ${clientid           | unclosed ${clientid
            $clientid {x}                 | $clientid {x}
            """)
    void rendersPlaceholders(String template, String expected) {
        assertThat(Template.parse(template).render(FIELDS)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void dotRendersAllFieldsAsJson() {
        assertThat(Template.parse("${.}").render(Map.of("a", 1L))).isEqualTo("{\"a\":1}");
        assertThat(Template.parse("t/${x}").isConstant()).isFalse();
        assertThat(Template.parse("").isEmpty()).isTrue();
    }
}

package io.trellis.rules.template;

import io.trellis.rules.sql.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A text template with {@code ${field}} and {@code ${payload.a.b}} placeholders, rendered from a
 * rule's selected fields: republish topic and payload, HTTP URL, headers and body, bridge topic.
 *
 * <p>Rendering follows EMQX 5 ({@code emqx_template}):
 * <ul>
 *   <li>a placeholder path walks maps; a string that holds JSON is decoded on the way
 *       ({@code ${payload.a}} works whether the rule selected {@code payload} as text or as a map);</li>
 *   <li>a missing field renders as the empty string (EMQX 5; EMQX 4 rendered {@code undefined},
 *       changed because it produced messages nobody could use);</li>
 *   <li>strings render as they are, numbers and booleans as text, maps and lists as JSON;</li>
 *   <li>{@code ${.}} renders all selected fields as a JSON object;</li>
 *   <li>a {@code ${} without its closing brace is literal text.</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class Template {

    private sealed interface Part permits Text, Var {
    }

    private record Text(String text) implements Part {
    }

    private record Var(List<String> path) implements Part {
    }

    private final String source;
    private final List<Part> parts;

    private Template(String source, List<Part> parts) {
        this.source = source;
        this.parts = List.copyOf(parts);
    }

    public static Template parse(String source) {
        String src = source == null ? "" : source;
        List<Part> parts = new ArrayList<>();
        int pos = 0;
        while (pos < src.length()) {
            int open = src.indexOf("${", pos);
            int close = open < 0 ? -1 : src.indexOf('}', open + 2);
            if (open < 0 || close < 0) {
                parts.add(new Text(src.substring(pos)));
                break;
            }
            if (open > pos) parts.add(new Text(src.substring(pos, open)));
            String name = src.substring(open + 2, close).strip();
            if (name.startsWith(".")) name = name.substring(1); // EMQX: ${.a} is ${a}, ${.} is everything
            parts.add(new Var(name.isEmpty() ? List.of() : List.of(name.split("\\.", -1))));
            pos = close + 1;
        }
        return new Template(src, parts);
    }

    public String source() {
        return source;
    }

    /** True when the template has no placeholders. */
    public boolean isConstant() {
        return parts.stream().allMatch(p -> p instanceof Text);
    }

    /** True when the template is empty (EMQX then sends all selected fields as JSON). */
    public boolean isEmpty() {
        return source.isEmpty();
    }

    public String render(Map<String, Object> fields) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Text t) {
                sb.append(t.text());
            } else if (p instanceof Var v) {
                Object value = lookup(fields, v.path());
                if (value != null) sb.append(Values.str(value));
            }
        }
        return sb.toString();
    }

    /** The value at a dotted path, or null; strings holding JSON objects are decoded on the way. */
    public static Object lookup(Map<String, Object> fields, List<String> path) {
        Object value = fields;
        for (String key : path) {
            if (value instanceof String s) value = decodeObject(s);
            if (!(value instanceof Map<?, ?> m)) return null;
            value = m.get(key);
        }
        return value;
    }

    private static Object decodeObject(String s) {
        String t = s.strip();
        if (!t.startsWith("{")) return null;
        try {
            return Values.jsonDecode(t);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return source;
    }
}

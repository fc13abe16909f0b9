package io.trellis.rules.sql;

import io.trellis.mqtt.topic.Topics;
import io.trellis.rules.RuleInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed rule: {@code SELECT <fields> FROM "<filter>"[, ...] [WHERE <cond>]}. Immutable and
 * thread-safe; {@link #evaluate} may run on any thread.
 */
public final class RuleSql {

    /**
     * One selected field; {@code alias} is the output key path (dots nest, as in EMQX), null when
     * none was given; {@code text} is the field as written.
     */
    public record Field(Expr expr, List<String> alias, String text) {
        public Field {
            alias = alias == null ? null : List.copyOf(alias);
        }
    }

    private final String text;
    private final List<Field> fields;
    private final List<String> filters;
    private final Expr where;

    RuleSql(String text, List<Field> fields, List<String> filters, Expr where) {
        this.text = text;
        this.fields = List.copyOf(fields);
        this.filters = List.copyOf(filters);
        this.where = where;
    }

    /** Parses rule SQL; see {@link SqlParser}. */
    public static RuleSql parse(String sql) throws SqlParseException {
        return new SqlParser(sql).parse();
    }

    public String text() {
        return text;
    }

    public List<String> filters() {
        return filters;
    }

    public List<Field> fields() {
        return fields;
    }

    /** Whether the message's topic matches one of the FROM filters. */
    public boolean matchesTopic(String topic) {
        for (String f : filters) {
            if (Topics.matches(f, topic)) return true;
        }
        return false;
    }

    /**
     * Selects the fields and applies WHERE. Does not check the topic ({@link #matchesTopic}).
     *
     * @return the selected fields, or empty when WHERE is not true
     * @throws RuleEvalException when an expression cannot be evaluated for this message
     */
    public Optional<Map<String, Object>> evaluate(RuleInput input) {
        EvalContext ctx = new EvalContext(input);
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : fields) {
            if (f.expr() instanceof Expr.Star) {
                out.putAll(ctx.allColumns());
                continue;
            }
            Object value = f.expr().eval(ctx);
            if (f.alias() != null) {
                putPath(out, f.alias(), value);
                ctx.defineAlias(String.join(".", f.alias()), value);
                if (f.alias().size() == 1) ctx.defineAlias(f.alias().get(0), value);
            } else if (f.expr() instanceof Expr.Path p && p.segments().stream().allMatch(s -> s instanceof String)) {
                // EMQX keeps the shape: SELECT payload.a.b gives {"payload": {"a": {"b": v}}}
                putPath(out, p.segments().stream().map(s -> (String) s).toList(), value);
            } else {
                out.put(f.text(), value);
            }
        }
        if (where != null && !Values.truthy(where.eval(ctx))) return Optional.empty();
        return Optional.of(out);
    }

    @SuppressWarnings("unchecked")
    static void putPath(Map<String, Object> out, List<String> path, Object value) {
        Map<String, Object> m = out;
        for (int i = 0; i < path.size() - 1; i++) {
            Object next = m.get(path.get(i));
            // a copy: the map may be shared with the message columns
            next = next instanceof Map<?, ?> existing ? new LinkedHashMap<>((Map<String, Object>) existing)
                    : new LinkedHashMap<String, Object>();
            m.put(path.get(i), next);
            m = (Map<String, Object>) next;
        }
        m.put(path.get(path.size() - 1), value);
    }

    @Override
    public String toString() {
        return text;
    }
}

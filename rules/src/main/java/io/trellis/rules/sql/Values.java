package io.trellis.rules.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Value semantics of rule SQL, following EMQX's {@code emqx_rule_runtime}. Values are
 * {@code null} (EMQX's {@code undefined}), String, Long, Double, Boolean, Map, List.
 *
 * <ul>
 *   <li>Comparing with null: {@code null = null} is true, anything else with null is false
 *       (also {@code !=}), so a missing field never passes a WHERE by accident.</li>
 *   <li>Number against string: the string is read as a number if it is one ({@code '10' = 10}),
 *       otherwise both are compared as text.</li>
 *   <li>Arithmetic needs numbers (or numeric strings); {@code +} of two strings concatenates
 *       (EMQX 5); {@code /} always gives a float, {@code div} and {@code mod} need integers.</li>
 * </ul>
 */
public final class Values {

    static final ObjectMapper JSON = new ObjectMapper();

    private Values() {
    }

    public static boolean truthy(Object v) {
        if (v instanceof Boolean b) return b;
        if (v instanceof String s) return s.equals("true");
        return false;
    }

    public static Object compare(String op, Object l, Object r) {
        if (l == null || r == null) {
            return l == null && r == null ? op.equals("=") || op.equals(">=") || op.equals("<=") : false;
        }
        int c;
        if (l instanceof Number a && r instanceof Number b) {
            c = compareNumbers(a, b);
        } else if (l instanceof Number a && r instanceof String s && parseNumber(s) != null) {
            c = compareNumbers(a, parseNumber(s));
        } else if (l instanceof String s && r instanceof Number b && parseNumber(s) != null) {
            c = compareNumbers(parseNumber(s), b);
        } else if (l instanceof Boolean || r instanceof Boolean || l instanceof Map || r instanceof Map
                || l instanceof List || r instanceof List) {
            boolean eq = normalise(l).equals(normalise(r)) || str(l).equals(str(r));
            return switch (op) {
                case "=" -> eq;
                case "!=", "<>" -> !eq;
                default -> false;
            };
        } else {
            c = str(l).compareTo(str(r));
        }
        return switch (op) {
            case "=" -> c == 0;
            case "!=", "<>" -> c != 0;
            case ">" -> c > 0;
            case "<" -> c < 0;
            case ">=" -> c >= 0;
            case "<=" -> c <= 0;
            default -> throw new IllegalArgumentException("unknown comparison " + op);
        };
    }

    private static Object normalise(Object v) {
        return v instanceof Number n ? (Object) new BigDecimal(n.toString()).stripTrailingZeros() : v;
    }

    private static int compareNumbers(Number a, Number b) {
        if (a instanceof Long x && b instanceof Long y) return Long.compare(x, y);
        return Double.compare(a.doubleValue(), b.doubleValue());
    }

    /** The number a string spells (Long or Double), or null. */
    public static Number parseNumber(String s) {
        String t = s.trim();
        if (t.isEmpty()) return null;
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(t);
                return Double.isFinite(d) && !t.endsWith("d") && !t.endsWith("f") && !t.endsWith("D") && !t.endsWith("F") ? d : null;
            } catch (NumberFormatException e2) {
                return null;
            }
        }
    }

    public static Number number(Object v, String what) {
        if (v instanceof Number n) return n;
        if (v instanceof String s) {
            Number n = parseNumber(s);
            if (n != null) return n;
        }
        throw new RuleEvalException("bad argument for " + what + ": expected a number, got " + describe(v));
    }

    public static Object arith(String op, Object l, Object r) {
        if (op.equals("+") && l instanceof String a && r instanceof String b
                && (parseNumber(a) == null || parseNumber(b) == null)) {
            return a + b;
        }
        Number a = number(l, "'" + op + "'");
        Number b = number(r, "'" + op + "'");
        boolean integers = a instanceof Long && b instanceof Long;
        switch (op) {
            case "+":
                return integers ? (Object) Math.addExact(a.longValue(), b.longValue()) : a.doubleValue() + b.doubleValue();
            case "-":
                return integers ? (Object) Math.subtractExact(a.longValue(), b.longValue()) : a.doubleValue() - b.doubleValue();
            case "*":
                return integers ? (Object) Math.multiplyExact(a.longValue(), b.longValue()) : a.doubleValue() * b.doubleValue();
            case "/":
                if (b.doubleValue() == 0) throw new RuleEvalException("division by zero");
                return a.doubleValue() / b.doubleValue();
            case "div":
            case "mod":
                if (!integers) throw new RuleEvalException("'" + op + "' needs integers, got " + describe(l) + " and " + describe(r));
                if (b.longValue() == 0) throw new RuleEvalException("division by zero");
                return op.equals("div") ? a.longValue() / b.longValue() : a.longValue() % b.longValue();
            default:
                throw new IllegalArgumentException("unknown operator " + op);
        }
    }

    /** Text form, as EMQX's {@code str/1}: maps and lists as JSON, null as empty string. */
    public static String str(Object v) {
        if (v == null) return "";
        if (v instanceof String s) return s;
        if (v instanceof Double d) {
            // EMQX keeps a float a float in text: 21.0 stays "21.0"
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? BigDecimal.valueOf(d).setScale(1).toPlainString() : Double.toString(d);
        }
        if (v instanceof Map || v instanceof List) return jsonEncode(v);
        return v.toString();
    }

    public static String jsonEncode(Object v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new RuleEvalException("cannot encode as JSON: " + e.getOriginalMessage());
        }
    }

    /** Decodes JSON text into rule values (Long/Double numbers, Maps, Lists). */
    public static Object jsonDecode(String text) {
        try {
            return fromJson(JSON.readValue(text, Object.class));
        } catch (JsonProcessingException e) {
            throw new RuleEvalException("not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** JSON text decoded, or null when it is not JSON (for path access into strings). */
    static Object tryJsonDecode(String text) {
        String t = text.trim();
        if (t.isEmpty() || (t.charAt(0) != '{' && t.charAt(0) != '[')) return null;
        try {
            return fromJson(JSON.readValue(t, Object.class));
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    static Object fromJson(Object v) {
        if (v instanceof Integer i) return i.longValue();
        if (v instanceof Short i) return i.longValue();
        if (v instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : b.doubleValue();
        if (v instanceof BigDecimal d) return d.doubleValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, x) -> out.put(k, fromJson(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(fromJson(x));
            return out;
        }
        return v;
    }

    /** One step of a path: a key into a map, a 1-based index into a list; JSON text is decoded. */
    static Object step(Object value, Object segment, EvalContext ctx) {
        if (value instanceof String s) {
            value = ctx.decodeJson(s);
            if (value == null) return null;
        }
        if (segment instanceof String key && value instanceof Map<?, ?> m) return m.get(key);
        if (segment instanceof Integer index && value instanceof List<?> l) {
            int i = index > 0 ? index - 1 : l.size() + index; // negative counts from the end
            return i >= 0 && i < l.size() ? l.get(i) : null;
        }
        return null;
    }

    static String describe(Object v) {
        if (v == null) return "undefined";
        String text = str(v);
        if (text.length() > 40) text = text.substring(0, 40) + "...";
        return v.getClass().getSimpleName().toLowerCase() + " '" + text + "'";
    }
}

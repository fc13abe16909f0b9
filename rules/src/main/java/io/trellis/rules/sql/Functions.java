package io.trellis.rules.sql;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The SQL functions, named and behaving as EMQX's ({@code emqx_rule_funcs}). Arity is checked
 * when the SQL is parsed; argument types when a message is evaluated.
 */
public final class Functions {

    /** A function body; arguments are already evaluated. */
    @FunctionalInterface
    public interface Fn {
        Object apply(List<Object> args, EvalContext ctx);
    }

    record Def(int minArgs, int maxArgs, Fn fn) {
    }

    private static final Map<String, Def> DEFS = new HashMap<>();

    private static void def(String name, int min, int max, Fn fn) {
        DEFS.put(name, new Def(min, max, fn));
    }

    static Def lookup(String name) {
        return DEFS.get(name.toLowerCase(Locale.ROOT));
    }

    private Functions() {
    }

    private static String s(List<Object> a, int i, String fn) {
        Object v = a.get(i);
        if (v == null) throw new RuleEvalException(fn + ": argument " + (i + 1) + " is undefined");
        return Values.str(v);
    }

    private static Number n(List<Object> a, int i, String fn) {
        return Values.number(a.get(i), fn);
    }

    private static long l(List<Object> a, int i, String fn) {
        Number x = n(a, i, fn);
        if (x instanceof Long v) return v;
        throw new RuleEvalException(fn + ": argument " + (i + 1) + " must be an integer, got " + Values.describe(a.get(i)));
    }

    private static String hash(String algorithm, String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " missing from the JDK", e);
        }
    }

    private static final int MAX_CACHED_PATTERNS = 256;
    private static final Map<String, Pattern> PATTERNS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Pattern pattern(String regex) {
        Pattern p = PATTERNS.get(regex);
        if (p != null) return p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new RuleEvalException("regex_match: bad regular expression: " + e.getDescription());
        }
        if (PATTERNS.size() < MAX_CACHED_PATTERNS) PATTERNS.put(regex, p);
        return p;
    }

    static {
        // math
        def("abs", 1, 1, (a, c) -> n(a, 0, "abs") instanceof Long v ? (Object) Math.abs(v) : Math.abs(n(a, 0, "abs").doubleValue()));
        def("round", 1, 1, (a, c) -> n(a, 0, "round") instanceof Long v ? v : (Object) Math.round(n(a, 0, "round").doubleValue()));
        def("floor", 1, 1, (a, c) -> n(a, 0, "floor") instanceof Long v ? v : (Object) (long) Math.floor(n(a, 0, "floor").doubleValue()));
        def("ceil", 1, 1, (a, c) -> n(a, 0, "ceil") instanceof Long v ? v : (Object) (long) Math.ceil(n(a, 0, "ceil").doubleValue()));
        def("sqrt", 1, 1, (a, c) -> Math.sqrt(n(a, 0, "sqrt").doubleValue()));
        def("power", 2, 2, (a, c) -> Math.pow(n(a, 0, "power").doubleValue(), n(a, 1, "power").doubleValue()));
        // strings
        def("lower", 1, 1, (a, c) -> s(a, 0, "lower").toLowerCase(Locale.ROOT));
        def("upper", 1, 1, (a, c) -> s(a, 0, "upper").toUpperCase(Locale.ROOT));
        def("trim", 1, 1, (a, c) -> s(a, 0, "trim").strip());
        def("ltrim", 1, 1, (a, c) -> s(a, 0, "ltrim").stripLeading());
        def("rtrim", 1, 1, (a, c) -> s(a, 0, "rtrim").stripTrailing());
        def("strlen", 1, 1, (a, c) -> (long) s(a, 0, "strlen").codePointCount(0, s(a, 0, "strlen").length()));
        def("concat", 2, 2, (a, c) -> Values.str(a.get(0)) + Values.str(a.get(1)));
        def("substr", 2, 3, (a, c) -> {
            String text = s(a, 0, "substr");
            int start = (int) Math.max(0, Math.min(text.length(), l(a, 1, "substr"))); // 0-based, as EMQX
            int end = a.size() == 3 ? (int) Math.min(text.length(), start + Math.max(0, l(a, 2, "substr"))) : text.length();
            return text.substring(start, end);
        });
        def("split", 2, 3, (a, c) -> {
            String text = s(a, 0, "split");
            String sep = s(a, 1, "split");
            if (sep.isEmpty()) throw new RuleEvalException("split: the separator must not be empty");
            List<Object> parts = new ArrayList<>();
            for (String p : text.split(Pattern.quote(sep), -1)) {
                if (!p.isEmpty()) parts.add(p); // EMQX drops empty parts ("/a/b" -> ["a","b"])
            }
            if (a.size() == 3) {
                String which = s(a, 2, "split");
                int at = which.equals("leading") ? text.indexOf(sep) : which.equals("trailing") ? text.lastIndexOf(sep) : -2;
                if (at == -2) throw new RuleEvalException("split: the third argument must be 'leading' or 'trailing'");
                if (at < 0) return List.of(text);
                return List.of(text.substring(0, at), text.substring(at + sep.length()));
            }
            return parts;
        });
        def("replace", 3, 3, (a, c) -> s(a, 0, "replace").replace(s(a, 1, "replace"), s(a, 2, "replace")));
        def("contains", 2, 2, (a, c) -> {
            Object hay = a.get(1);
            if (hay instanceof List<?> list) {
                for (Object x : list) if (Boolean.TRUE.equals(Values.compare("=", a.get(0), x))) return true;
                return false;
            }
            return hay != null && Values.str(hay).contains(Values.str(a.get(0)));
        });
        def("regex_match", 2, 2, (a, c) -> pattern(s(a, 1, "regex_match")).matcher(s(a, 0, "regex_match")).find());
        def("regex_replace", 3, 3, (a, c) -> pattern(s(a, 1, "regex_replace")).matcher(s(a, 0, "regex_replace")).replaceAll(s(a, 2, "regex_replace")));
        def("sprintf", 1, 10, (a, c) -> {
            Object[] rest = a.subList(1, a.size()).stream().map(Values::str).toArray();
            return String.format(Locale.ROOT, s(a, 0, "sprintf").replace("~s", "%s").replace("~p", "%s"), rest);
        });
        // lists
        def("nth", 2, 2, (a, c) -> {
            long i = l(a, 0, "nth");
            if (!(a.get(1) instanceof List<?> list)) throw new RuleEvalException("nth: argument 2 must be an array, got " + Values.describe(a.get(1)));
            return i >= 1 && i <= list.size() ? list.get((int) i - 1) : null;
        });
        def("length", 1, 1, (a, c) -> a.get(0) instanceof List<?> list ? (long) list.size() : (long) s(a, 0, "length").length());
        def("first", 1, 1, (a, c) -> a.get(0) instanceof List<?> list && !list.isEmpty() ? list.get(0) : null);
        def("last", 1, 1, (a, c) -> a.get(0) instanceof List<?> list && !list.isEmpty() ? list.get(list.size() - 1) : null);
        // types
        def("str", 1, 1, (a, c) -> Values.str(a.get(0)));
        def("int", 1, 1, (a, c) -> {
            Object v = a.get(0);
            if (v instanceof Boolean b) return b ? 1L : 0L;
            Number x = Values.number(v, "int");
            return x instanceof Long ? x : (Object) (long) x.doubleValue();
        });
        def("float", 1, 2, (a, c) -> {
            double d = Values.number(a.get(0), "float").doubleValue();
            if (a.size() == 1) return d;
            return BigDecimal.valueOf(d).setScale((int) l(a, 1, "float"), RoundingMode.HALF_UP).doubleValue();
        });
        def("bool", 1, 1, (a, c) -> {
            Object v = a.get(0);
            if (v instanceof Boolean b) return b;
            if (v instanceof Long x && (x == 0 || x == 1)) return x == 1;
            if (v instanceof String t && (t.equals("true") || t.equals("false"))) return Boolean.parseBoolean(t);
            throw new RuleEvalException("bool: cannot convert " + Values.describe(v) + " to a boolean");
        });
        def("is_null", 1, 1, (a, c) -> a.get(0) == null);
        def("is_not_null", 1, 1, (a, c) -> a.get(0) != null);
        def("is_str", 1, 1, (a, c) -> a.get(0) instanceof String);
        def("is_num", 1, 1, (a, c) -> a.get(0) instanceof Number);
        def("is_int", 1, 1, (a, c) -> a.get(0) instanceof Long);
        def("is_float", 1, 1, (a, c) -> a.get(0) instanceof Double);
        def("is_bool", 1, 1, (a, c) -> a.get(0) instanceof Boolean);
        def("is_map", 1, 1, (a, c) -> a.get(0) instanceof Map);
        def("is_array", 1, 1, (a, c) -> a.get(0) instanceof List);
        def("coalesce", 2, 2, (a, c) -> a.get(0) != null ? a.get(0) : a.get(1));
        // maps and JSON
        def("json_encode", 1, 1, (a, c) -> Values.jsonEncode(a.get(0)));
        def("json_decode", 1, 1, (a, c) -> Values.jsonDecode(s(a, 0, "json_decode")));
        def("map_get", 2, 3, (a, c) -> {
            Object m = a.get(1) instanceof String t ? Values.tryJsonDecode(t) : a.get(1);
            Object v = null;
            if (m instanceof Map<?, ?> map) {
                v = map.get(s(a, 0, "map_get"));
            } else if (m != null) {
                throw new RuleEvalException("map_get: argument 2 must be a map, got " + Values.describe(a.get(1)));
            }
            return v != null || a.size() < 3 ? v : a.get(2);
        });
        def("map_keys", 1, 1, (a, c) -> a.get(0) instanceof Map<?, ?> m ? new ArrayList<Object>(m.keySet()) : null);
        def("map_values", 1, 1, (a, c) -> a.get(0) instanceof Map<?, ?> m ? new ArrayList<Object>(m.values()) : null);
        // hashing, encoding
        def("md5", 1, 1, (a, c) -> hash("MD5", s(a, 0, "md5")));
        def("sha", 1, 1, (a, c) -> hash("SHA-1", s(a, 0, "sha")));
        def("sha256", 1, 1, (a, c) -> hash("SHA-256", s(a, 0, "sha256")));
        def("base64_encode", 1, 1, (a, c) -> Base64.getEncoder().encodeToString(s(a, 0, "base64_encode").getBytes(StandardCharsets.UTF_8)));
        def("base64_decode", 1, 1, (a, c) -> {
            try {
                return new String(Base64.getDecoder().decode(s(a, 0, "base64_decode")), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new RuleEvalException("base64_decode: not valid base64: " + e.getMessage());
            }
        });
        // time and topic
        def("now_timestamp", 0, 1, (a, c) -> {
            long ms = System.currentTimeMillis();
            if (a.isEmpty()) return ms / 1000;
            return switch (s(a, 0, "now_timestamp")) {
                case "second" -> ms / 1000;
                case "millisecond" -> ms;
                case "microsecond" -> ms * 1000;
                case "nanosecond" -> ms * 1_000_000;
                default -> throw new RuleEvalException("now_timestamp: unit must be second, millisecond, microsecond or nanosecond");
            };
        });
        def("topic", 0, 1, (a, c) -> {
            String t = c.input().topic();
            if (a.isEmpty()) return t;
            long level = l(a, 0, "topic");
            String[] levels = t.split("/", -1);
            return level >= 1 && level <= levels.length ? levels[(int) level - 1] : null;
        });
    }
}

package io.trellis.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a HOCON file plus environment overrides into a checked {@link TrellisConfig}: parse and
 * resolve (substitutions see the file, then the given environment), lay TRELLIS_ overrides on
 * top, match every leaf to a key of {@link Keys}, parse it, fill in defaults, then cross-key
 * checks. Every problem is collected; one {@link ConfigException} carries them all.
 */
final class ConfigLoader {
    /** Quoted text in a parser message: kept only when it is a bit of punctuation like '}' or '='. */
    private static final Pattern REDACT = Pattern.compile("(['\"])(.*?)\\1");
    private static final Pattern PLACE = Pattern.compile("([^:]*):(\\d+): .*", Pattern.DOTALL);
    /** Problems in file order (file, then line), environment variables after. */
    private static final Comparator<String> BY_PLACE = Comparator
            .<String, Boolean>comparing(p -> p.startsWith("env "))
            .thenComparing(p -> {
                Matcher m = PLACE.matcher(p);
                return m.matches() ? m.group(1) : p;
            })
            .thenComparingInt(p -> {
                Matcher m = PLACE.matcher(p);
                return m.matches() ? Integer.parseInt(m.group(2)) : 0;
            });
    private static final Pattern INSTANCE_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    /** A value and where it came from: "file:line" or "env TRELLIS_X". */
    private record Setting(ConfigValue value, String origin) {
    }

    private final String sourceLabel;
    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, Setting> leaves = new TreeMap<>();
    private final Map<String, String> objectOrigins = new HashMap<>();
    private final Set<String> emptyObjects = new TreeSet<>();
    /** Free-form blocks (see {@link TrellisConfig#BLOCKS}), unwrapped, with their origin. */
    private final Map<String, Object> blocks = new TreeMap<>();
    private final Map<String, String> blockOrigins = new HashMap<>();

    private ConfigLoader(String sourceLabel, Map<String, String> env) {
        this.sourceLabel = sourceLabel;
        this.env = env;
    }

    static TrellisConfig load(Path file, Map<String, String> env) throws ConfigException {
        String label = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(List.of(label + ": configuration file not found"
                    + " (create it, e.g. from the example etc/trellis.conf, or give the right path)"));
        }
        ConfigLoader loader = new ConfigLoader(label, env);
        return loader.run(file, () -> ConfigFactory.parseFile(file.toFile(), options()));
    }

    static TrellisConfig parse(String hocon, String originName, Map<String, String> env) throws ConfigException {
        ConfigLoader loader = new ConfigLoader(originName, env);
        return loader.run(null, () -> ConfigFactory.parseString(hocon, options().setOriginDescription(originName)));
    }

    private static ConfigParseOptions options() {
        return ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF);
    }

    private TrellisConfig run(Path file, Supplier<Config> parser) throws ConfigException {
        Config parsed;
        try {
            ConfigResolveOptions resolve = ConfigResolveOptions.defaults().setUseSystemEnvironment(false);
            Config environment = ConfigValueFactory.fromMap(new HashMap<>(env)).toConfig();
            parsed = parser.get().resolve(resolve.setAllowUnresolved(true)).resolveWith(environment, resolve);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(List.of(hoconProblem(e)));
        }
        walk(parsed.root(), "", null);
        applyEnv();

        Map<String, Object> provided = new HashMap<>();
        Map<String, Set<String>> names = new LinkedHashMap<>();
        for (KeyDef<?> key : Keys.all()) {
            if (key.instancePrefix() != null) {
                names.computeIfAbsent(key.instancePrefix(), p -> new TreeSet<>()).add(Keys.DEFAULT_INSTANCE);
            }
        }
        for (Map.Entry<String, Setting> leaf : leaves.entrySet()) {
            check(leaf.getKey(), leaf.getValue(), provided, names);
        }
        for (String empty : emptyObjects) {
            String[] segments = empty.split("\\.", -1);
            if (Keys.all().stream().noneMatch(key -> isPrefixOf(segments, key.path().split("\\.")))) {
                problems.add(objectOrigins.get(empty) + ": " + empty + ": unknown key" + suggestion(segments));
            }
        }
        for (String object : objectOrigins.keySet()) {
            for (String prefix : names.keySet()) {
                if (object.startsWith(prefix + ".") && object.indexOf('.', prefix.length() + 1) < 0) {
                    String name = object.substring(prefix.length() + 1);
                    if (INSTANCE_NAME.matcher(name).matches()) {
                        names.get(prefix).add(name);
                    }
                }
            }
        }

        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> origins = new HashMap<>();
        for (KeyDef<?> key : Keys.all()) {
            String prefix = key.instancePrefix();
            for (String name : prefix == null ? List.of("") : names.get(prefix)) {
                String path = key.concretePath(name);
                Setting setting = leaves.get(path);
                Object value = provided.get(path);
                if (value == null && setting == null && key.defaultOnlyFor() != null && !name.equals(key.defaultOnlyFor())) {
                    String where = objectOrigins.getOrDefault(prefix + "." + name, sourceLabel);
                    String leaf = key.path().substring(key.path().lastIndexOf('.') + 1);
                    problems.add(where + ": " + path + ": missing (every " + prefix + " instance other than "
                            + key.defaultOnlyFor() + " must set " + leaf + ", e.g. " + leaf + " = \""
                            + key.format(cast(key.defaultValue())) + "\" with a port of its own)");
                }
                values.put(path, value != null || setting != null ? value : key.defaultValue());
                origins.put(path, setting == null ? sourceLabel + " (default)" : setting.origin());
            }
        }
        checkDuplicateBinds(values, names, origins);
        if (!problems.isEmpty()) {
            problems.sort(BY_PLACE);
            throw new ConfigException(problems);
        }
        Map<String, Set<String>> frozen = new LinkedHashMap<>();
        names.forEach((prefix, set) -> {
            Set<String> ordered = new LinkedHashSet<>();
            ordered.add(Keys.DEFAULT_INSTANCE);
            ordered.addAll(set);
            frozen.put(prefix, Collections.unmodifiableSet(ordered));
        });
        blocks.forEach((path, block) -> values.put(TrellisConfig.BLOCK_PREFIX + path, block));
        blockOrigins.forEach((path, origin) -> values.put(TrellisConfig.BLOCK_PREFIX + "origin:" + path, origin));
        return new TrellisConfig(file, values, frozen);
    }

    /** Records every leaf with its origin; objects too, so an empty instance block still counts. */
    private void walk(ConfigObject object, String prefix, String forcedOrigin) {
        for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            ConfigValue value = e.getValue();
            String origin = forcedOrigin != null ? forcedOrigin : label(value.origin());
            if (value.valueType() == ConfigValueType.OBJECT && TrellisConfig.BLOCKS.contains(path)) {
                // checked by their owner (the rule engine), not by Keys: kept whole
                blocks.put(path, ((ConfigObject) value).unwrapped());
                blockOrigins.put(path, origin);
            } else if (value.valueType() == ConfigValueType.OBJECT) {
                objectOrigins.put(path, origin);
                if (((ConfigObject) value).isEmpty()) {
                    emptyObjects.add(path);
                }
                walk((ConfigObject) value, path, forcedOrigin);
            } else {
                leaves.put(path, new Setting(value, origin));
            }
        }
    }

    private void applyEnv() {
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String variable = e.getKey();
            if (!EnvOverrides.isOverride(variable)) {
                continue;
            }
            String path = EnvOverrides.pathOf(variable);
            String origin = "env " + variable;
            KeyDef<?> key = find(path.split("\\.", -1));
            if (key != null) {
                // Text keys take the value verbatim (a cookie may hold '#' or '//'), unless it is quoted.
                boolean verbatim = key.textual() && !e.getValue().trim().startsWith("\"");
                ConfigValue value = verbatim ? ConfigValueFactory.fromAnyRef(e.getValue()) : hoconValue(e.getValue());
                leaves.put(path, new Setting(value, origin));
                continue;
            }
            ConfigValue value = hoconValue(e.getValue());
            if (value.valueType() == ConfigValueType.OBJECT) {
                // A whole block, e.g. TRELLIS_LISTENERS__TCP__INTERNAL='{bind = "0.0.0.0:1884"}',
                // merged over the file's block as HOCON merges objects.
                objectOrigins.put(path, origin);
                walk((ConfigObject) value, path, origin);
            } else {
                leaves.put(path, new Setting(value, origin));
            }
        }
    }

    /** An environment value read as HOCON when it is a number, boolean, list or object, else as is. */
    private static ConfigValue hoconValue(String raw) {
        try {
            ConfigValue v = ConfigFactory.parseString("v = " + raw).resolve().root().get("v");
            if (v != null && (v.valueType() != ConfigValueType.STRING || raw.trim().startsWith("\""))) {
                return v;
            }
        } catch (com.typesafe.config.ConfigException e) {
            // not HOCON: plain text
        }
        return ConfigValueFactory.fromAnyRef(raw);
    }

    /** Whether a path is the start of a key's path ({name} matching any one segment). */
    private static boolean isPrefixOf(String[] segments, String[] pattern) {
        if (segments.length > pattern.length) {
            return false;
        }
        for (int i = 0; i < segments.length; i++) {
            if (!pattern[i].equals(KeyDef.NAME_SEGMENT) && !pattern[i].equals(segments[i])) {
                return false;
            }
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object value) {
        return (T) value;
    }

    private static KeyDef<?> find(String[] segments) {
        for (KeyDef<?> key : Keys.all()) {
            if (key.match(segments) != null) {
                return key;
            }
        }
        return null;
    }

    private void check(String path, Setting setting, Map<String, Object> provided, Map<String, Set<String>> names) {
        String[] segments = path.split("\\.", -1);
        KeyDef<?> key = find(segments);
        if (key == null) {
            problems.add(setting.origin() + ": " + path + ": unknown key" + suggestion(segments));
            return;
        }
        String name = key.match(segments);
        if (!name.isEmpty()) {
            if (!INSTANCE_NAME.matcher(name).matches()) {
                problems.add(setting.origin() + ": " + path + ": '" + name + "' is not an instance name"
                        + " (use letters, digits, _ and -)");
                return;
            }
            names.get(key.instancePrefix()).add(name);
        }
        try {
            provided.put(path, key.parse(setting.value()));
        } catch (BadValue e) {
            // a list element's problem names it: authentication[1].password_hash_algorithm.name: ...
            problems.add(setting.origin() + ": " + path + (e.what.startsWith("[") ? "" : ": ") + e.what + " (" + e.instead + ")");
        }
    }

    /** " (did you mean x?)" for the closest key, or a pointer to the reference. */
    static String suggestion(String[] segments) {
        String unknown = String.join(".", segments);
        String last = segments[segments.length - 1];
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (KeyDef<?> key : Keys.all()) {
            String[] pattern = key.path().split("\\.");
            int nameIndex = List.of(pattern).indexOf(KeyDef.NAME_SEGMENT);
            String name = nameIndex >= 0 && nameIndex < segments.length ? segments[nameIndex] : Keys.DEFAULT_INSTANCE;
            String candidate = key.concretePath(name);
            int d = levenshtein(unknown, candidate);
            if (pattern[pattern.length - 1].equals(last)) {
                d = Math.min(d, 2); // same leaf name in another section: likely misplaced
            }
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        if (best != null && bestDistance <= Math.max(2, unknown.length() / 5)) {
            return " (did you mean " + best + "?)";
        }
        return " (remove it; docs/config-reference.md lists every key)";
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Two enabled listeners on one port, where the addresses are equal or one is a wildcard. */
    private void checkDuplicateBinds(Map<String, Object> values, Map<String, Set<String>> names, Map<String, String> origins) {
        List<String> binds = new ArrayList<>();
        for (KeyDef<InetSocketAddress> bind : Keys.LISTENER_BINDS) {
            String prefix = bind.instancePrefix();
            for (String name : names.get(prefix)) {
                if (Boolean.TRUE.equals(values.get(prefix + "." + name + ".enable"))) {
                    binds.add(bind.concretePath(name));
                }
            }
        }
        if (Boolean.TRUE.equals(values.get(Keys.DASHBOARD_HTTP_ENABLE.path()))) {
            binds.add(Keys.DASHBOARD_HTTP_BIND.path());
        }
        for (int i = 0; i < binds.size(); i++) {
            for (int j = i + 1; j < binds.size(); j++) {
                InetSocketAddress a = (InetSocketAddress) values.get(binds.get(i));
                InetSocketAddress b = (InetSocketAddress) values.get(binds.get(j));
                if (a == null || b == null || a.getPort() == 0 || a.getPort() != b.getPort()) {
                    continue;
                }
                if (a.getAddress().equals(b.getAddress()) || a.getAddress().isAnyLocalAddress() || b.getAddress().isAnyLocalAddress()) {
                    String later = origins.get(binds.get(j)).endsWith("(default)") ? binds.get(i) : binds.get(j);
                    String other = later.equals(binds.get(j)) ? binds.get(i) : binds.get(j);
                    problems.add(origins.get(later) + ": " + later + ": " + Keys.TCP_BIND.format(later.equals(binds.get(j)) ? b : a)
                            + " takes the same port as " + other + " = " + Keys.TCP_BIND.format(later.equals(binds.get(j)) ? a : b)
                            + " (give each listener its own port, or disable one with enable = false)");
                }
            }
        }
    }

    private String label(ConfigOrigin origin) {
        String where = origin.filename() != null ? origin.filename() : sourceLabel;
        return origin.lineNumber() > 0 ? where + ":" + origin.lineNumber() : where;
    }

    /**
     * A HOCON syntax or substitution error as "file:line: ...". Quoted fragments are dropped from
     * the parser's text: the line may hold a secret.
     */
    private String hoconProblem(com.typesafe.config.ConfigException e) {
        String where = e.origin() == null ? sourceLabel : label(e.origin());
        String message = e.getMessage();
        if (e.origin() != null && message.startsWith(e.origin().description() + ": ")) {
            message = message.substring(e.origin().description().length() + 2);
        }
        int advice = message.indexOf(" (if you intended");
        if (advice >= 0) {
            message = message.substring(0, advice); // typesafe's hint about .properties files misleads here
        }
        message = REDACT.matcher(message).replaceAll(m -> m.group(2).matches("[\\p{Punct}\\s]{1,3}")
                ? Matcher.quoteReplacement(m.group()) : m.group(1) + "…" + m.group(1));
        String kind = e instanceof com.typesafe.config.ConfigException.UnresolvedSubstitution
                ? "unresolved substitution" : "syntax error";
        String fix = kind.equals("syntax error")
                ? "fix the HOCON at that line: key = value, quoted strings, balanced braces"
                : "define it in the file or the environment, or write ${?NAME} to make it optional";
        return where + ": " + kind + ": " + message + " (" + fix + ")";
    }
}

package io.trellis.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A loaded, validated configuration: the HOCON file over the schema's defaults, with
 * {@code TRELLIS_*} environment overrides on top (double underscore = nesting, see
 * {@link EnvOverrides}). Immutable. CONTRACT: public signatures fixed.
 */
public final class TrellisConfig {
    private final Path file;
    private final Map<String, Object> values;
    private final Map<String, Set<String>> names;

    /**
     * Blocks taken whole rather than as keys, as EMQX's config file holds them:
     * {@code connectors.<type>.<name> {...}}, {@code actions.<type>.<name> {...}},
     * {@code rule_engine.rules.<id> {...}}. Their owner checks them (names the key in its errors).
     */
    public static final Set<String> BLOCKS = Set.of("connectors", "actions", "rule_engine.rules");
    static final String BLOCK_PREFIX = "block:";

    TrellisConfig(Path file, Map<String, Object> values, Map<String, Set<String>> names) {
        this.file = file;
        this.values = values;
        this.names = names;
    }

    /**
     * Loads and validates. Every problem (unknown key, bad value, bad unit) is collected and
     * thrown together, each naming the key and the file or variable.
     */
    public static TrellisConfig load(Path file, Map<String, String> env) throws ConfigException {
        return ConfigLoader.load(file, env);
    }

    /**
     * Loads from HOCON text instead of a file (tests, embedded nodes); problems name
     * {@code originName} where they would name the file. {@link #file()} is then null.
     */
    public static TrellisConfig parse(String hocon, String originName, Map<String, String> env) throws ConfigException {
        return ConfigLoader.parse(hocon, originName, env);
    }

    /** Every key at its default (plus the default listener instances). */
    public static TrellisConfig defaults() {
        try {
            return parse("", "defaults", Map.of());
        } catch (ConfigException e) {
            throw new IllegalStateException("the schema's own defaults do not load: " + e.getMessage(), e);
        }
    }

    /** The file it was loaded from. */
    public Path file() {
        return file;
    }

    /** The value of a key without {@code {name}} segments. */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        if (key.path().contains(KeyDef.NAME_SEGMENT)) {
            throw new IllegalArgumentException(key.path() + " belongs to a named instance: use get(key, name)");
        }
        return (T) lookup(key.path());
    }

    /** The value of a key with a {@code {name}} segment, e.g. get(Keys.TCP_BIND, "default"). */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key, String name) {
        if (!(key instanceof KeyDef<?> def) || def.instancePrefix() == null) {
            throw new IllegalArgumentException(key.path() + " has no {name} segment: use get(key)");
        }
        if (!names(def.instancePrefix()).contains(name)) {
            throw new IllegalArgumentException("no instance '" + name + "' under " + def.instancePrefix()
                    + " (instances: " + names(def.instancePrefix()) + ")");
        }
        return (T) lookup(def.concretePath(name));
    }

    private Object lookup(String path) {
        if (!values.containsKey(path)) {
            throw new IllegalArgumentException(path + " is not a key of Keys");
        }
        return values.get(path);
    }

    /**
     * One of {@link #BLOCKS} as plain maps, lists and scalars (empty if the file has none).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> block(String path) {
        if (!BLOCKS.contains(path)) {
            throw new IllegalArgumentException(path + " is not a block; blocks are " + BLOCKS);
        }
        Object b = values.get(BLOCK_PREFIX + path);
        return b == null ? Map.of() : (Map<String, Object>) b;
    }

    /** Where a block was set (file or env variable), for error messages; null if not set. */
    public String blockOrigin(String path) {
        return (String) values.get(BLOCK_PREFIX + "origin:" + path);
    }

    /** The instance names under a prefix, e.g. names("listeners.tcp") = {"default"}; default first. */
    public Set<String> names(String prefix) {
        return names.getOrDefault(prefix, Set.of());
    }

    /** Every key's effective value as text, secrets shown as ******, for {@code check-config --print}. */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> prefixesDone = new HashSet<>();
        for (KeyDef<?> key : Keys.all()) {
            String prefix = key.instancePrefix();
            if (prefix == null) {
                put(out, key, key.path());
            } else if (prefixesDone.add(prefix)) {
                // One instance at a time: listeners.tcp.default.*, then listeners.tcp.internal.*
                for (String name : names(prefix)) {
                    for (KeyDef<?> sibling : Keys.all()) {
                        if (prefix.equals(sibling.instancePrefix())) {
                            put(out, sibling, sibling.concretePath(name));
                        }
                    }
                }
            }
        }
        return out;
    }

    private void put(Map<String, String> out, KeyDef<?> key, String path) {
        Object value = values.get(path);
        out.put(path, value == null ? "(not set)" : key.formatAny(value));
    }
}

package io.trellis.server.node;

import io.trellis.config.ConfigKey;
import io.trellis.config.Secret;
import io.trellis.config.TrellisConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads config values by key path, converting the config module's value types to what the
 * server needs. Keys are looked up in {@code io.trellis.config.Keys} (the one place keys are
 * defined) by path, so the server names each key once, here, by the path EMQX users know.
 */
public final class ConfigValues {
    private static final Map<String, ConfigKey<?>> KEYS_BY_PATH = keysByPath();

    private final TrellisConfig config;

    public ConfigValues(TrellisConfig config) {
        this.config = config;
    }

    public TrellisConfig config() {
        return config;
    }

    public Set<String> names(String prefix) {
        return config.names(prefix);
    }

    /** The raw value of a key, or of a named instance's key when name is not null. */
    public Object raw(String path, String name) {
        ConfigKey<?> key = key(path);
        return name == null ? config.get(key) : config.get(key, name);
    }

    public String string(String path) {
        return string(path, null);
    }

    public String string(String path, String name) {
        Object v = raw(path, name);
        return v == null ? null : v.toString();
    }

    public boolean bool(String path, String name) {
        Object v = raw(path, name);
        return v instanceof Boolean b ? b : Boolean.parseBoolean(String.valueOf(v));
    }

    public boolean bool(String path) {
        return bool(path, null);
    }

    /** An int; a long above Integer.MAX_VALUE (an "infinity" size) is clamped. */
    public int integer(String path, String name) {
        Object v = raw(path, name);
        if (v instanceof Number n) {
            return (int) Math.min(Integer.MAX_VALUE, Math.max(Integer.MIN_VALUE, n.longValue()));
        }
        if (v instanceof Duration d) {
            return (int) Math.min(Integer.MAX_VALUE, d.getSeconds());
        }
        if (v instanceof String s && (s.equals("infinity") || s.equals("disabled"))) {
            return s.equals("infinity") ? Integer.MAX_VALUE : 0;
        }
        return Integer.parseInt(String.valueOf(v));
    }

    public int integer(String path) {
        return integer(path, null);
    }

    public long longValue(String path) {
        Object v = raw(path, null);
        return v instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(v));
    }

    public double decimal(String path) {
        Object v = raw(path, null);
        return v instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(v));
    }

    public Duration duration(String path) {
        Object v = raw(path, null);
        if (v instanceof Duration d) {
            return d;
        }
        if (v instanceof Number n) {
            return Duration.ofMillis(n.longValue());
        }
        throw new IllegalStateException(path + " is not a duration: " + v);
    }

    /** A path, or null when unset or empty (e.g. api_key.bootstrap_file = ""). */
    public Path path(String path, String name) {
        Object v = raw(path, name);
        if (v == null || v.toString().isEmpty()) {
            return null;
        }
        return v instanceof Path p ? p : Path.of(v.toString());
    }

    public Path path(String path) {
        return path(path, null);
    }

    public InetSocketAddress bind(String path, String name) {
        Object v = raw(path, name);
        if (v instanceof InetSocketAddress a) {
            return a;
        }
        return parseBind(String.valueOf(v));
    }

    public InetSocketAddress bind(String path) {
        return bind(path, null);
    }

    public Secret secret(String path, String name) {
        Object v = raw(path, name);
        if (v == null || v instanceof Secret) {
            return (Secret) v;
        }
        return new Secret(v.toString());
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String path, String name) {
        Object v = raw(path, name);
        return v == null ? List.of() : (List<String>) v;
    }

    /** "127.0.0.1:18083", "18083" (all interfaces), "[::1]:18083"; a literal address, no DNS. */
    static InetSocketAddress parseBind(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            return new InetSocketAddress(Integer.parseInt(text));
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return InetSocketAddress.createUnresolved(host, Integer.parseInt(text.substring(colon + 1)));
    }

    private static ConfigKey<?> key(String path) {
        ConfigKey<?> key = KEYS_BY_PATH.get(path);
        return key != null ? key : new PathKey(path);
    }

    /** Every public static ConfigKey in io.trellis.config.Keys, by path; empty before Keys exists. */
    private static Map<String, ConfigKey<?>> keysByPath() {
        Map<String, ConfigKey<?>> byPath = new HashMap<>();
        try {
            Class<?> keys = Class.forName("io.trellis.config.Keys");
            for (Field f : keys.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigKey.class.isAssignableFrom(f.getType())) {
                    ConfigKey<?> k = (ConfigKey<?>) f.get(null);
                    byPath.put(k.path(), k);
                }
            }
        } catch (ClassNotFoundException | IllegalAccessException notYet) {
            // falls back to path-only keys
        }
        return byPath;
    }

    /** A key known only by path, for config implementations that look keys up by path. */
    private record PathKey(String path) implements ConfigKey<Object> {
        @Override
        public Object defaultValue() {
            return null;
        }

        @Override
        public String doc() {
            return "";
        }

        @Override
        public boolean secret() {
            return false;
        }
    }
}

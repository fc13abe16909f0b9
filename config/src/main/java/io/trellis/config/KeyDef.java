package io.trellis.config;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A key's whole definition: path, type, default, special words ("infinity", "disabled"),
 * checks, doc and secrecy. Built once, in {@link Keys}, with {@link Builder}.
 */
public final class KeyDef<T> implements ConfigKey<T> {
    /** The segment of a path that stands for an instance name, e.g. listeners.tcp.{name}.bind. */
    public static final String NAME_SEGMENT = "{name}";

    private final String path;
    private final String[] segments;
    private final int nameIndex;
    private final ValueType<T> type;
    private final String defaultText;
    private final T defaultValue;
    private final String defaultOnlyFor;
    private final boolean emptyMeansUnset;
    private final Map<String, T> words;
    private final List<Check<T>> checks;
    private final String doc;
    private final boolean secret;

    private KeyDef(Builder<T> b, String doc) {
        this.path = b.path;
        this.segments = b.path.split("\\.");
        this.nameIndex = List.of(segments).indexOf(NAME_SEGMENT);
        this.type = b.type;
        this.defaultText = b.defaultText;
        this.defaultOnlyFor = b.defaultOnlyFor;
        this.emptyMeansUnset = b.emptyMeansUnset;
        this.words = Map.copyOf(b.words);
        this.checks = List.copyOf(b.checks);
        this.doc = doc;
        this.secret = b.secret;
        try {
            this.defaultValue = defaultText == null ? null : parse(ConfigValueFactory.fromAnyRef(defaultText));
        } catch (BadValue e) {
            throw new IllegalStateException("bad default for " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public T defaultValue() {
        return defaultValue;
    }

    @Override
    public String doc() {
        return doc;
    }

    @Override
    public boolean secret() {
        return secret;
    }

    /** The default as written in the schema ("1MB"), or null. */
    public String defaultText() {
        return defaultText;
    }

    /** The default as the reference shows it: lists formatted, other values as written. */
    public String defaultDisplay() {
        if (defaultValue instanceof List<?>) {
            return format(defaultValue);
        }
        return defaultText;
    }

    /** Whether the default applies only to one instance (e.g. only listeners.tcp.default has a bind). */
    public String defaultOnlyFor() {
        return defaultOnlyFor;
    }

    /** The type for the reference, e.g. "byte size 1B..256MB". */
    public String typeName() {
        return type.name();
    }

    /** Allowed values for the reference (enums, words like infinity), or null. */
    public String allowed() {
        List<String> parts = new ArrayList<>();
        if (type.allowed() != null) {
            parts.add(type.allowed());
        }
        words.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(w -> parts.add(w.getKey().equals(type.format(w.getValue())) ? w.getKey()
                        : w.getKey() + " (= " + type.format(w.getValue()) + ")"));
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** The environment variable that overrides this key, e.g. TRELLIS_MQTT__MAX_PACKET_SIZE. */
    public String envName() {
        return EnvOverrides.PREFIX + path.replace(".", "__").toUpperCase(Locale.ROOT);
    }

    /** The part of the path before {name}, e.g. "listeners.tcp", or null for a fixed key. */
    public String instancePrefix() {
        return nameIndex < 0 ? null : String.join(".", List.of(segments).subList(0, nameIndex));
    }

    /** This key's path for one instance, e.g. listeners.tcp.internal.bind. */
    public String concretePath(String name) {
        return nameIndex < 0 ? path : path.replace(NAME_SEGMENT, name);
    }

    /**
     * Whether a concrete path is this key: returns the instance name for a {name} key, "" for a
     * fixed key, null when it is not this key.
     */
    String match(String[] concrete) {
        if (concrete.length != segments.length) {
            return null;
        }
        for (int i = 0; i < segments.length; i++) {
            if (i != nameIndex && !segments[i].equals(concrete[i])) {
                return null;
            }
        }
        return nameIndex < 0 ? "" : concrete[nameIndex];
    }

    boolean textual() {
        return type.textual();
    }

    /** Parses one value; null (HOCON null, or empty text where allowed) means not set. */
    T parse(ConfigValue v) throws BadValue {
        if (v == null || v.valueType() == ConfigValueType.NULL) {
            return null;
        }
        if (v.valueType() == ConfigValueType.STRING) {
            String text = ((String) v.unwrapped()).trim();
            if (emptyMeansUnset && text.isEmpty()) {
                return null;
            }
            T word = words.get(text.toLowerCase(Locale.ROOT));
            if (word != null) {
                return word;
            }
        }
        T value = type.parse(v);
        for (Check<T> check : checks) {
            if (!check.ok.test(value)) {
                throw new BadValue(check.what, check.instead);
            }
        }
        return value;
    }

    /** The value as an operator would write it; secrets as ******, unset as "". */
    public String format(T value) {
        if (value == null) {
            return "";
        }
        if (secret) {
            return "******";
        }
        for (Map.Entry<String, T> w : words.entrySet()) {
            if (w.getValue().equals(value)) {
                return w.getKey();
            }
        }
        return type.format(value);
    }

    @SuppressWarnings("unchecked")
    String formatAny(Object value) {
        return format((T) value);
    }

    @Override
    public String toString() {
        return path;
    }

    private record Check<T>(Predicate<T> ok, String what, String instead) {
    }

    /** Builds a key: {@code Builder.of(path, type).byDefault("1MB").doc("...")}. */
    public static final class Builder<T> {
        private final String path;
        private final ValueType<T> type;
        private final Consumer<KeyDef<?>> registry;
        private String defaultText;
        private String defaultOnlyFor;
        private boolean emptyMeansUnset;
        private boolean secret;
        private final Map<String, T> words = new LinkedHashMap<>();
        private final List<Check<T>> checks = new ArrayList<>();

        Builder(String path, ValueType<T> type, Consumer<KeyDef<?>> registry) {
            this.path = Objects.requireNonNull(path);
            this.type = Objects.requireNonNull(type);
            this.registry = registry;
            this.secret = type.secret();
        }

        /** The default, written as an operator would write it; parsed and checked like any value. */
        public Builder<T> byDefault(String text) {
            this.defaultText = text;
            return this;
        }

        /** The default holds for this instance only; other instances must set the key. */
        public Builder<T> byDefaultOnlyFor(String instance, String text) {
            this.defaultOnlyFor = instance;
            this.defaultText = text;
            return this;
        }

        /** A word that stands for a value, e.g. "infinity" -> Integer.MAX_VALUE. */
        public Builder<T> word(String word, T value) {
            words.put(word, value);
            return this;
        }

        /** An empty string means "not set" (e.g. a path that is optional). */
        public Builder<T> emptyMeansUnset() {
            this.emptyMeansUnset = true;
            return this;
        }

        public Builder<T> check(Predicate<T> ok, String what, String instead) {
            checks.add(new Check<>(ok, what, instead));
            return this;
        }

        /** Finishes the definition with its doc and registers it. */
        public KeyDef<T> doc(String doc) {
            KeyDef<T> key = new KeyDef<>(this, doc);
            if (registry != null) {
                registry.accept(key);
            }
            return key;
        }
    }
}

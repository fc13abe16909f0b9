package io.trellis.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A list of objects, each validated as one of a few variants (EMQX's {@code authentication} and
 * {@code authorization.sources}). A variant is chosen by its discriminator fields ({@code mechanism}
 * and {@code backend}, or {@code type}); then every field is checked against the variant's schema
 * (unknown fields are errors, as for keys) and missing ones take their defaults. Errors name the
 * element by index: {@code [1].password_hash_algorithm.name: 'md6' is not allowed}.
 */
final class ObjectListType implements ValueType<List<ConfigItem>> {

    /** One field; {@code path} ending in {@code .*} takes any names below it (e.g. headers). */
    record Field(String path, ValueType<?> type, String defaultText, boolean required) {
        boolean wildcard() {
            return path.endsWith(".*");
        }

        boolean matches(String p) {
            return wildcard() ? p.startsWith(path.substring(0, path.length() - 1)) : p.equals(path);
        }
    }

    /** A variant: the discriminator values that select it and its fields. */
    record Variant(String kind, Map<String, String> selector, List<Field> fields) {}

    private final List<String> discriminators;
    private final List<Variant> variants;

    ObjectListType(List<String> discriminators, List<Variant> variants) {
        this.discriminators = List.copyOf(discriminators);
        this.variants = List.copyOf(variants);
    }

    @Override
    public String name() {
        return "list of objects";
    }

    @Override
    public String hint() {
        return "write a list of objects, e.g. [{" + variants.get(0).selector().entrySet().stream()
                .map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", ")) + "}]";
    }

    @Override
    public String allowed() {
        StringBuilder out = new StringBuilder();
        for (Variant v : variants) {
            out.append(out.length() == 0 ? "" : "; ").append(v.kind()).append(": ");
            out.append(v.fields().stream().map(f -> f.path() + (f.required() ? " (required)" : "")
                    + (f.defaultText() != null ? " = " + f.defaultText() : "")).collect(Collectors.joining(", ")));
        }
        return out.toString();
    }

    @Override
    public List<ConfigItem> parse(ConfigValue value) throws BadValue {
        ConfigValue v = value;
        if (v.valueType() == ConfigValueType.STRING) { // a default or an environment value as text
            try {
                v = ConfigFactory.parseString("v = " + v.unwrapped()).resolve().root().get("v");
            } catch (RuntimeException e) {
                throw new BadValue("not a list of objects", hint());
            }
        }
        if (v == null || v.valueType() != ConfigValueType.LIST) {
            throw new BadValue("expected a list of objects", hint());
        }
        List<ConfigItem> items = new ArrayList<>();
        int index = 0;
        for (ConfigValue element : (ConfigList) v) {
            items.add(parseElement(index++, element));
        }
        return List.copyOf(items);
    }

    private ConfigItem parseElement(int index, ConfigValue element) throws BadValue {
        String at = "[" + index + "]";
        if (element.valueType() != ConfigValueType.OBJECT) {
            throw new BadValue(at + ": expected an object, got " + element.valueType().name().toLowerCase(), hint());
        }
        Map<String, ConfigValue> fields = new LinkedHashMap<>();
        for (var e : ((ConfigObject) element).toConfig().entrySet()) {
            fields.put(e.getKey(), e.getValue());
        }
        Variant variant = select(at, fields);
        Map<String, Object> values = new LinkedHashMap<>();
        for (var e : fields.entrySet()) {
            String path = e.getKey();
            if (discriminators.contains(path)) continue;
            Field field = variant.fields().stream().filter(f -> f.matches(path)).findFirst().orElse(null);
            if (field == null) {
                throw new BadValue(at + "." + path + ": unknown field for " + variant.kind(),
                        "use " + variant.fields().stream().map(Field::path).collect(Collectors.joining(", ")));
            }
            try {
                values.put(path, field.type().parse(e.getValue()));
            } catch (BadValue bad) {
                throw new BadValue(at + "." + path + ": " + bad.what, bad.instead);
            }
        }
        for (Field f : variant.fields()) {
            if (f.wildcard() || values.containsKey(f.path())) continue;
            if (f.required()) {
                throw new BadValue(at + "." + f.path() + ": missing", "set " + f.path() + " for " + variant.kind());
            }
            if (f.defaultText() != null) {
                try {
                    values.put(f.path(), f.type().parse(ConfigValueFactory.fromAnyRef(f.defaultText())));
                } catch (BadValue impossible) {
                    throw new IllegalStateException("bad default of " + f.path(), impossible);
                }
            }
        }
        return new ConfigItem(index, variant.kind(), values);
    }

    /** Picks the variant, naming the first discriminator that does not fit. */
    private Variant select(String at, Map<String, ConfigValue> fields) throws BadValue {
        List<Variant> candidates = variants;
        for (String d : discriminators) {
            ConfigValue raw = fields.get(d);
            String given = raw == null ? null : String.valueOf(raw.unwrapped());
            List<Variant> fitting = candidates.stream()
                    .filter(v -> java.util.Objects.equals(v.selector().get(d), given)).toList();
            if (fitting.isEmpty()) {
                List<String> choices = candidates.stream().map(v -> v.selector().get(d))
                        .filter(java.util.Objects::nonNull).distinct().toList();
                if (choices.isEmpty()) {
                    throw new BadValue(at + "." + d + ": not used with " + candidates.get(0).kind(), "remove " + d);
                }
                throw new BadValue(at + "." + d + ": " + (given == null ? "missing" : "'" + given + "' is not known"),
                        "write " + d + " = " + String.join(" or ", choices));
            }
            candidates = fitting;
        }
        return candidates.get(0);
    }

    @Override
    public String format(List<ConfigItem> value) {
        if (value.isEmpty()) return "[]";
        return value.stream().map(i -> "{" + i.kind() + "}").collect(Collectors.joining(", ", "[", "]"));
    }
}

package io.trellis.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One element of a list-of-objects key (e.g. one entry of {@code authentication = [ ... ]}),
 * already validated: every field has its typed value or its default. {@code kind} names the
 * element's variant ({@code password_based:built_in_database}, {@code jwt}, {@code file}, ...).
 * Field paths are dotted ({@code password_hash_algorithm.name}). Immutable.
 */
public record ConfigItem(int index, String kind, Map<String, Object> values) {

    public ConfigItem {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The typed value of a field of this element's variant, or null when unset without a default. */
    @SuppressWarnings("unchecked")
    public <T> T get(String field) {
        return (T) values.get(field);
    }

    public String string(String field) {
        Object v = values.get(field);
        return v == null ? null : String.valueOf(v);
    }

    public boolean bool(String field) {
        return Boolean.TRUE.equals(values.get(field));
    }

    /** The free-form fields under {@code prefix} (e.g. {@code headers}), by their name below it. */
    public Map<String, String> map(String prefix) {
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix + ".")) out.put(k.substring(prefix.length() + 1), String.valueOf(v));
        });
        return out;
    }

    /** How config errors name a field of this element: {@code authentication[1].user_id_type}. */
    public String where(String key, String field) {
        return key + "[" + index + "]." + field;
    }

    @Override
    public String toString() {
        // Secret fields hold Secret values, whose toString hides them.
        return "ConfigItem[" + index + ", " + kind + ", " + values + "]";
    }
}

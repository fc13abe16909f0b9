package io.trellis.config;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

/**
 * How the text of one key becomes a typed value and back. Implementations live in
 * {@link ValueTypes}; a type never puts a secret into a {@link BadValue}.
 */
interface ValueType<T> {
    /** For the reference, e.g. "byte size" or "integer 1..65535". */
    String name();

    /** The "what to write instead" half of a problem line, e.g. "write 1MB, 64KB or 512B". */
    String hint();

    T parse(ConfigValue value) throws BadValue;

    default String format(T value) {
        return String.valueOf(value);
    }

    /** Whether an environment variable's value is taken as raw text (not parsed as HOCON). */
    default boolean textual() {
        return false;
    }

    /** Whether values of this type are secrets, shown as ******. */
    default boolean secret() {
        return false;
    }

    /** Allowed values for the reference, or null. */
    default String allowed() {
        return null;
    }

    /** The text of a scalar (numbers keep their original spelling, e.g. "00123"). */
    static String scalarText(ConfigValue value, ValueType<?> type) throws BadValue {
        ConfigValueType t = value.valueType();
        if (t == ConfigValueType.STRING || t == ConfigValueType.NUMBER || t == ConfigValueType.BOOLEAN) {
            return value.atKey("v").getString("v");
        }
        String got = t == ConfigValueType.LIST ? "a list" : t == ConfigValueType.OBJECT ? "an object" : "null";
        throw new BadValue("expected a " + type.name() + ", got " + got, type.hint());
    }
}

package io.trellis.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A loaded, validated configuration: the HOCON file over the schema's defaults, with
 * {@code TRELLIS_*} environment overrides on top (double underscore = nesting). CONTRACT:
 * public signatures fixed.
 */
public final class TrellisConfig {

    /**
     * Loads and validates. Every problem (unknown key, bad value, bad unit) is collected and
     * thrown together, each naming the key and the file or variable.
     */
    public static TrellisConfig load(Path file, Map<String, String> env) throws ConfigException {
        throw new UnsupportedOperationException("not yet built");
    }

    /** The file it was loaded from. */
    public Path file() {
        throw new UnsupportedOperationException("not yet built");
    }

    /** The value of a key without {@code {name}} segments. */
    public <T> T get(ConfigKey<T> key) {
        throw new UnsupportedOperationException("not yet built");
    }

    /** The value of a key with a {@code {name}} segment, e.g. get(Keys.TCP_BIND, "default"). */
    public <T> T get(ConfigKey<T> key, String name) {
        throw new UnsupportedOperationException("not yet built");
    }

    /** The instance names under a prefix, e.g. names("listeners.tcp") = {"default"}. */
    public Set<String> names(String prefix) {
        throw new UnsupportedOperationException("not yet built");
    }

    /** Every key's effective value as text, secrets shown as ******, for {@code check-config --print}. */
    public Map<String, String> describe() {
        throw new UnsupportedOperationException("not yet built");
    }
}

package io.trellis.config;

import java.util.Locale;
import java.util.Set;

/**
 * Environment overrides in EMQX's form: {@code TRELLIS_} + the key path upper-cased with
 * {@code __} for each dot. {@code TRELLIS_NODE__NAME} sets node.name,
 * {@code TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE} sets listeners.ssl.default.enable (instance
 * names therefore come out lower-case). The value is read as a HOCON value ({@code false},
 * {@code 8883}, {@code [a,b]}, {@code 1MB}, an object {@code {bind = "0.0.0.0:1884"}}); keys of
 * text types (strings, secrets, paths, binds) take it verbatim.
 *
 * <p>Variables that are not keys: {@link #NOT_KEYS}. Any other TRELLIS_ variable must name a
 * key, else loading fails as for an unknown key in the file.
 */
public final class EnvOverrides {
    public static final String PREFIX = "TRELLIS_";

    /** TRELLIS_ variables read by the start script, not by the configuration. */
    public static final Set<String> NOT_KEYS = Set.of("TRELLIS_HOME", "TRELLIS_CONF", "TRELLIS_JAVA_OPTS");

    private EnvOverrides() {
    }

    /** Whether a variable is meant as a key override. */
    public static boolean isOverride(String variable) {
        return variable.startsWith(PREFIX) && !NOT_KEYS.contains(variable);
    }

    /** The key path a variable names: TRELLIS_NODE__NAME -> node.name. */
    public static String pathOf(String variable) {
        return variable.substring(PREFIX.length()).replace("__", ".").toLowerCase(Locale.ROOT);
    }
}

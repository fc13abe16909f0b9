package io.trellis.server.cli;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Environment variables the CLI reads itself, kept away from the config's TRELLIS_* key overrides. */
final class ServerEnv {
    /** TRELLIS_DEBUG: print stack traces of errors. */
    static final Set<String> CLI_ONLY = Set.of("TRELLIS_DEBUG");

    private ServerEnv() {
    }

    static Map<String, String> forConfig(Map<String, String> env) {
        Map<String, String> copy = new HashMap<>(env);
        copy.keySet().removeAll(CLI_ONLY);
        return copy;
    }
}

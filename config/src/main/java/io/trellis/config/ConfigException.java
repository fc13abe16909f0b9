package io.trellis.config;

import java.util.List;

/**
 * Bad configuration: one or more problems, each naming the key, the file (or environment
 * variable) it came from and what to change. Never contains a secret's value. CONTRACT.
 */
public final class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems), null, false, false);
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, e.g. "etc/trellis.conf: mqtt.max_packet_size: '12XB' is not a size (use 1MB, 64KB, 1024)". */
    public List<String> problems() {
        return problems;
    }
}

package io.trellis.server.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --config FILE}, else env TRELLIS_CONF, else etc/trellis.conf: shared by start, check-config and ctl. */
public final class ConfigOption {
    public static final Path DEFAULT = Path.of("etc", "trellis.conf");

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Config file (default: $TRELLIS_CONF, else etc/trellis.conf).")
    Path file;

    public Path resolve(Map<String, String> env) {
        if (file != null) {
            // bin/trellis runs Java in the install dir; a relative --config is relative to the caller's dir.
            String callerDir = System.getProperty("trellis.caller.dir");
            return file.isAbsolute() || callerDir == null ? file : Path.of(callerDir).resolve(file).normalize();
        }
        String fromEnv = env.get("TRELLIS_CONF");
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT : Path.of(fromEnv);
    }
}

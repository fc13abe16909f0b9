package io.trellis.mqtt.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Tests that drive tools outside the JVM (mosquitto_pub, node) skip with a message saying what to
 * install when the tool is missing on a developer machine, and fail when env CI=true, where a
 * missing tool means the CI image is wrong and a silent skip would hide lost coverage.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    /** The absolute path of an executable on PATH, or a skip / failure saying how to get it. */
    public static Path require(String tool) {
        Optional<Path> found = find(tool);
        if (found.isEmpty()) {
            missing(tool + " is not on PATH (" + installHint(tool) + ")");
        }
        return found.orElseThrow();
    }

    /** node on PATH and the npm packages of mqtt/src/test/js installed. */
    public static Path requireNodeModules(Path packageDir, String module) {
        Path node = require("node");
        if (!Files.isDirectory(packageDir.resolve("node_modules").resolve(module))) {
            missing("node module '" + module + "' is not installed in " + packageDir.toAbsolutePath()
                    + " (run: npm ci --prefix " + packageDir + ")");
        }
        return node;
    }

    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    private static void missing(String why) {
        if (onCi()) {
            fail(why + "; CI=true, so a missing tool fails the build instead of skipping");
        }
        assumeTrue(false, "skipped: " + why);
    }

    private static Optional<Path> find(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry, tool))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static String installHint(String tool) {
        return switch (tool) {
            case "mosquitto_pub", "mosquitto_sub" -> "install the Debian package mosquitto-clients";
            case "node", "npm" -> "install Node.js 18 or later";
            default -> "install it";
        };
    }
}

package io.trellis.mqtt.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command run by a test, its output captured to temp files (no pipe that can fill up and block
 * it) and a hard time limit after which it is killed and the test fails with what it printed.
 */
final class ExternalProcess implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ExternalProcess(List<String> command, Path workDir) {
        this.command = command;
        try {
            this.stdout = Files.createTempFile("trellis-it-out-", ".txt");
            this.stderr = Files.createTempFile("trellis-it-err-", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            this.process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    static ExternalProcess start(List<String> command) {
        return new ExternalProcess(command, null);
    }

    static ExternalProcess start(List<String> command, Path workDir) {
        return new ExternalProcess(command, workDir);
    }

    /** Runs to completion and fails unless it exits 0. */
    static String runOk(List<String> command, Duration limit) {
        return runOk(command, null, limit);
    }

    static String runOk(List<String> command, Path workDir, Duration limit) {
        try (ExternalProcess process = start(command, workDir)) {
            return process.awaitOk(limit);
        }
    }

    /** Waits for the exit and returns stdout; fails with stdout and stderr if not 0 or not done in time. */
    String awaitOk(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(describe("did not finish within " + limit));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(describe("interrupted"), e);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(describe("exited with " + process.exitValue()));
        }
        return read(stdout);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private String describe(String what) {
        return String.join(" ", command) + " " + what + "\nstdout: " + read(stdout) + "\nstderr: " + read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // temp files: the OS cleans up what remains
        }
    }
}

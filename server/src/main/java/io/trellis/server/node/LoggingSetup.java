package io.trellis.server.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback from log.console.* and log.file.* once the config is loaded (before that,
 * etc/logback.xml or Logback's defaults apply). EMQX's syslog levels map to Logback's: notice to
 * INFO, warning to WARN, critical/alert/emergency to ERROR, none to OFF.
 */
public final class LoggingSetup {
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} [%level] %logger{36}: %msg%n";

    private LoggingSetup() {
    }

    public static Level level(String emqxLevel) {
        return switch (emqxLevel == null ? "warning" : emqxLevel.toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.DEBUG;
            case "info", "notice" -> Level.INFO;
            case "warning" -> Level.WARN;
            case "error", "critical", "alert", "emergency" -> Level.ERROR;
            case "none" -> Level.OFF;
            default -> throw new IllegalArgumentException("unknown log level " + emqxLevel
                    + " (use debug, info, notice, warning, error, critical, alert, emergency or none)");
        };
    }

    public static void apply(NodeSettings.LogSettings log) throws IOException {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return; // another SLF4J binding: leave it to its own configuration
        }
        ctx.reset();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Level rootLevel = Level.OFF;
        if (log.consoleEnabled() && level(log.consoleLevel()) != Level.OFF) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            attach(ctx, root, console, "console", level(log.consoleLevel()));
            rootLevel = lowest(rootLevel, level(log.consoleLevel()));
        }
        if (log.fileEnabled() && level(log.fileLevel()) != Level.OFF) {
            Path parent = log.filePath().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile(log.filePath().toString());
            file.setAppend(true);
            attach(ctx, root, file, "file", level(log.fileLevel()));
            rootLevel = lowest(rootLevel, level(log.fileLevel()));
        }
        root.setLevel(rootLevel);
    }

    private static void attach(LoggerContext ctx, ch.qos.logback.classic.Logger root,
                               OutputStreamAppender<ILoggingEvent> appender, String name, Level level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();
        ThresholdFilter threshold = new ThresholdFilter();
        threshold.setLevel(level.toString());
        threshold.start();
        appender.setContext(ctx);
        appender.setName(name);
        appender.setEncoder(encoder);
        appender.addFilter(threshold);
        appender.start();
        root.addAppender(appender);
    }

    private static Level lowest(Level a, Level b) {
        return a.toInt() <= b.toInt() ? a : b;
    }

    /** Flushes and stops appenders so the last lines reach the file before the JVM exits. */
    public static void stop() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.stop();
        }
    }
}

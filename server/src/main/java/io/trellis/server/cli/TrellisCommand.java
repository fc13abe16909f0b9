package io.trellis.server.cli;

import io.trellis.server.Version;
import java.util.Arrays;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code trellis} command line. Errors go to stderr as one readable message, without a
 * stack trace unless {@code --debug} or {@code TRELLIS_DEBUG=1}. Exit codes: see {@link ExitCodes}.
 */
@Command(name = "trellis", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = TrellisCommand.VersionProvider.class,
        description = "Trellis, a clustered MQTT broker.",
        subcommands = {StartCommand.class, CheckConfigCommand.class, Ctl.class, BenchCommand.class, CertsCommand.class,
                FirewallCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success (start: also when stopped by SIGTERM or Ctrl-C);",
                "1 failure (bad config, cannot start, node not running, API error); 2 usage error."})
public final class TrellisCommand {
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors (also TRELLIS_DEBUG=1).")
    boolean debug;

    /** The environment: TRELLIS_CONF, TRELLIS_* overrides, TRELLIS_DEBUG. */
    final Map<String, String> env;

    private TrellisCommand(Map<String, String> env) {
        this.env = env;
    }

    /** Runs the command line with stdout and stderr and returns the exit code. */
    public static int run(String[] args, Map<String, String> env) {
        return run(args, env, new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true));
    }

    /** Runs the command line and returns the exit code; out and err receive its output (tests). */
    public static int run(String[] args, Map<String, String> env, java.io.PrintWriter out, java.io.PrintWriter err) {
        boolean debug = "1".equals(env.get("TRELLIS_DEBUG")) || Arrays.asList(args).contains("--debug");
        String[] rest = args.length > 0 && args[0].equals("--debug") ? Arrays.copyOfRange(args, 1, args.length) : args;
        // The load generator parses its own options, --help included.
        if (rest.length > 0 && rest[0].equals("bench")) {
            return handled(() -> BenchCommand.run(Arrays.copyOfRange(rest, 1, rest.length)), debug, err);
        }
        CommandLine cli = new CommandLine(new TrellisCommand(env));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> e instanceof CliException c ? c.exitCode()
                : e instanceof CommandLine.ParameterException ? ExitCodes.USAGE : ExitCodes.FAILURE);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            report(commandLine.getErr(), e, debug);
            return commandLine.getExitCodeExceptionMapper().getExitCode(e);
        });
        return cli.execute(args);
    }

    private static int handled(Runnable action, boolean debug, java.io.PrintWriter err) {
        try {
            action.run();
            return ExitCodes.OK;
        } catch (RuntimeException e) {
            report(err, e, debug);
            return e instanceof CliException c ? c.exitCode() : ExitCodes.FAILURE;
        }
    }

    private static void report(java.io.PrintWriter err, Exception e, boolean debug) {
        if (e instanceof CliException) {
            err.println("trellis: " + e.getMessage());
        } else {
            err.println("trellis: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + (debug ? "" : " (run with --debug for details)"));
        }
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"trellis " + Version.current()};
        }
    }
}

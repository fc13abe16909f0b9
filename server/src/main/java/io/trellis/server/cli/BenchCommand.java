package io.trellis.server.cli;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code trellis bench ...}: hands every argument to the load generator (io.trellis.bench.BenchMain). */
@Command(name = "bench", description = "MQTT load generator; `trellis bench --help` for its options.")
final class BenchCommand implements Callable<Integer> {
    static final String BENCH_MAIN = "io.trellis.bench.BenchMain";

    @Parameters(arity = "0..*", paramLabel = "ARGS", description = "Passed to the load generator as they are.")
    List<String> args = List.of();

    @Override
    public Integer call() {
        run(args.toArray(String[]::new));
        return ExitCodes.OK;
    }

    static void run(String[] args) {
        try {
            Class.forName(BENCH_MAIN).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new CliException("the load generator is not in this build (" + BENCH_MAIN + " missing)");
        } catch (IllegalAccessException e) {
            throw new CliException("cannot run " + BENCH_MAIN + ": " + e.getMessage());
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new CliException("bench failed: " + cause);
        }
    }
}

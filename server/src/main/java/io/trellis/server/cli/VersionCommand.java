package io.trellis.server.cli;

import io.trellis.server.Version;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("trellis " + Version.current() + " (Java " + System.getProperty("java.version") + ")");
        return ExitCodes.OK;
    }
}

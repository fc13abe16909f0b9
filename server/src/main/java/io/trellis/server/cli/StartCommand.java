package io.trellis.server.cli;

import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.server.Node;
import io.trellis.server.cluster.ClusterFactory;
import io.trellis.server.node.LoggingSetup;
import io.trellis.server.node.NodeSettings;
import io.trellis.server.node.NodeStartException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code trellis start}: runs a node in the foreground until SIGTERM or Ctrl-C, then stops it cleanly. */
@Command(name = "start", description = "Start the node in the foreground (Ctrl-C or SIGTERM stops it, exit 0).")
final class StartCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    TrellisCommand root;

    @Override
    public Integer call() throws Exception {
        var env = root.env;
        var file = config.resolve(env);
        NodeSettings settings;
        Node node;
        try {
            node = Node.from(TrellisConfig.load(file, ServerEnv.forConfig(env)), ClusterFactory.standard());
            settings = node.settings();
        } catch (ConfigException e) {
            throw new CliException("cannot start, bad config " + file + ":\n  " + String.join("\n  ", e.problems()));
        }
        try {
            LoggingSetup.apply(settings.log());
        } catch (IOException e) {
            throw new CliException("cannot open the log file " + settings.log().filePath() + ": " + e.getMessage()
                    + " (check log.file.path)");
        }
        CountDownLatch stop = new CountDownLatch(1);
        StopSignals.onStop(stop::countDown);
        Thread hook = new Thread(node::close, "trellis-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            node.start();
        } catch (NodeStartException e) {
            throw new CliException("cannot start node " + settings.nodeName() + ": " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        for (BoundListener l : node.listeners()) {
            out.println("listener " + l.spec().id() + " on " + Node.hostPort(l.address()));
        }
        if (node.apiAddress() != null) {
            out.println("listener dashboard:http on " + Node.hostPort(node.apiAddress()));
        }
        out.println("node " + settings.nodeName() + " started");
        out.flush();
        stop.await();
        node.close();
        out.println("node " + settings.nodeName() + " stopped");
        out.flush();
        LoggingSetup.stop();
        return ExitCodes.OK;
    }
}

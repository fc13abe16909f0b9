package io.trellis.server.cli;

import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.CookiePolicy;
import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.server.node.NodeSettings;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code trellis check-config}: validates the file and the TRELLIS_* overrides as start would. */
@Command(name = "check-config", description = "Validate the config; print each problem, exit 1 if any.")
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--print", description = "Also print every key's effective value (secrets as ******).")
    boolean print;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    TrellisCommand root;

    @Override
    public Integer call() {
        var env = root.env;
        var file = config.resolve(env);
        TrellisConfig loaded;
        ClusterSettings cluster;
        try {
            loaded = TrellisConfig.load(file, ServerEnv.forConfig(env));
            NodeSettings.from(loaded);
            if (!io.trellis.server.rules.RuleEngineSettings.from(loaded).ssrfPolicy().enabled()) {
                spec.commandLine().getOut().println(io.trellis.server.rules.RuleEngineSettings.SSRF_DISABLED_NOTICE);
            }
            cluster = ClusterSettings.from(loaded);
        } catch (ConfigException e) {
            e.problems().forEach(spec.commandLine().getErr()::println);
            spec.commandLine().getErr().flush();
            return ExitCodes.FAILURE;
        }
        if (print) {
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(loaded.describe()).entrySet()) {
                spec.commandLine().getOut().println(e.getKey() + " = " + e.getValue());
            }
        }
        spec.commandLine().getOut().println("config OK: " + file);
        CookiePolicy.Decision clustering = cluster.clusteringDecision();
        if (!clustering.allowed()) {
            // Valid, but worth knowing before start: the node will not cluster.
            spec.commandLine().getOut().println("note: this node will run alone: " + clustering.reason());
        }
        return ExitCodes.OK;
    }
}

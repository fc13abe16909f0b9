package io.trellis.server.cli;

import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.server.firewall.FirewallPlan;
import io.trellis.server.firewall.FirewallRules;
import io.trellis.server.rules.RuleEngineSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "firewall", description = {
        "Print host firewall rules that back rule_engine.ssrf: egress rejects for the policy's deny_cidrs and the",
        "cloud metadata endpoints, approved targets allowed, other new outbound connections rejected; ingress to the",
        "cluster ports (4370+N, 5370+N or rpc.server_port) only from the cluster's nodes (cluster.static.seeds, --peer).",
        "Review before loading: iptables-restore, ip6tables-restore or nft -f."})
final class FirewallCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--format", required = true, description = "iptables, ip6tables or nftables (one inet table, both families).")
    String format;

    @Option(names = "--peer", description = "A cluster node (name@host) besides cluster.static.seeds; repeatable.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--allow", description = "An approved egress target: address[:port] or CIDR, e.g. 198.51.100.10:443; repeatable.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--aws-imds", description = "Keep 169.254.169.254 reachable (AWS connectors taking credentials from instance metadata).")
    boolean awsImds;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    TrellisCommand root;

    @Override
    public Integer call() {
        var file = config.resolve(root.env);
        FirewallPlan plan;
        try {
            TrellisConfig loaded = TrellisConfig.load(file, ServerEnv.forConfig(root.env));
            List<FirewallPlan.Target> targets = new ArrayList<>();
            for (String a : allow) targets.add(FirewallPlan.Target.parse(a));
            plan = FirewallPlan.from(loaded, RuleEngineSettings.from(loaded).ssrfPolicy(), peers, targets, awsImds);
        } catch (ConfigException e) {
            throw new CliException("bad config " + file + ":\n  " + String.join("\n  ", e.problems()));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        String rules = switch (format) {
            case "iptables" -> FirewallRules.iptables(plan, false);
            case "ip6tables" -> FirewallRules.iptables(plan, true);
            case "nftables" -> FirewallRules.nftables(plan);
            default -> throw new CliException("--format " + format + " is not supported; use iptables, ip6tables or nftables");
        };
        spec.commandLine().getOut().print(rules);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}

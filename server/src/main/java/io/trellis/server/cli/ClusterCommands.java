package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

/**
 * {@code ctl cluster join|leave|force-leave|status} and {@code ctl ports}, through the node's
 * management API (/api/v5/cluster*, /api/v5/nodes). A refusal exits 1 with the node's reason,
 * e.g. "cookie mismatch".
 */
@Command(name = "cluster", description = "Join or leave a cluster, show its nodes.",
        subcommands = {ClusterCommands.Join.class, ClusterCommands.Leave.class, ClusterCommands.ForceLeave.class,
                ClusterCommands.Status.class, ClusterCommands.Certs.class})
final class ClusterCommands {
    @ParentCommand
    Ctl ctl;

    @Command(name = "join", description = "Join the cluster NODE belongs to (NODE: name@host).")
    static final class Join implements Callable<Integer> {
        @ParentCommand
        ClusterCommands parent;

        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            JsonNode cluster = ctl.client().ok(ctl.client().post("/api/v5/cluster/join", Map.of("node", node)));
            ctl.out().println("joined the cluster of " + node + "; nodes: " + names(cluster.path("nodes")));
            return ExitCodes.OK;
        }
    }

    @Command(name = "leave", description = "Take this node out of its cluster.")
    static final class Leave implements Callable<Integer> {
        @ParentCommand
        ClusterCommands parent;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ctl.client().ok(ctl.client().post("/api/v5/cluster/leave", Map.of()));
            ctl.out().println(ctl.client().nodeName() + " left the cluster");
            return ExitCodes.OK;
        }
    }

    @Command(name = "force-leave", description = "Remove NODE from the cluster.")
    static final class ForceLeave implements Callable<Integer> {
        @ParentCommand
        ClusterCommands parent;

        @Parameters(paramLabel = "NODE")
        String node;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ctl.client().ok(ctl.client().delete("/api/v5/cluster/" + ApiClient.encode(node) + "/force_leave"));
            ctl.out().println(node + " removed from the cluster");
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", description = "Every node of the cluster: running or stopped, version, uptime, ports.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        ClusterCommands parent;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            JsonNode cluster = ctl.client().ok(ctl.client().get("/api/v5/cluster"));
            JsonNode nodes = ctl.client().ok(ctl.client().get("/api/v5/nodes"));
            if (ctl.json) {
                ctl.printJson(nodes);
                return ExitCodes.OK;
            }
            Table t = new Table("NODE", "STATUS", "VERSION", "UPTIME", "DIST_PORT", "RPC_PORT");
            for (JsonNode n : nodes) {
                t.row(n.path("node").asText(), n.path("partitioned").asBoolean(false) ? "partitioned" : n.path("node_status").asText(),
                        n.path("version").isTextual() ? n.path("version").asText() : "-",
                        n.path("uptime").isNumber() ? Ctl.Status.uptime(n.path("uptime").asLong()) : "-",
                        port(n.path("dist_port")), port(n.path("rpc_port")));
            }
            t.print(ctl.out());
            JsonNode held = cluster.path("partitioned");
            if (held.isArray() && !held.isEmpty()) {
                ctl.out().println("partitioned: " + names(held) + " reachable again after a network partition but held apart "
                        + "(cluster.autoheal = false): no routes, retained messages or sessions exchanged, nothing forwarded. "
                        + "To merge (the later connection of a client id on both sides wins): bin/trellis ctl cluster join "
                        + held.get(0).asText());
            }
            if (!cluster.path("clustering").asBoolean(true)) {
                ctl.out().println("this node runs alone: " + cluster.path("reason").asText());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "ports", description = "Every port this node listens on and dials: the table for firewall rules.")
    static final class Ports implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            JsonNode ports = ctl.client().ok(ctl.client().get("/api/v5/cluster/ports"));
            if (ctl.json) {
                ctl.printJson(ports);
                return ExitCodes.OK;
            }
            Table t = new Table("DIRECTION", "ADDRESS", "PORT", "PROTOCOL", "PURPOSE", "PEER");
            ports.forEach(p -> t.row(p.path("direction").asText(), p.path("address").asText(), p.path("port").asInt(),
                    p.path("protocol").asText(), p.path("purpose").asText(),
                    p.path("peer").isTextual() ? p.path("peer").asText() : "-"));
            t.print(ctl.out());
            return ExitCodes.OK;
        }
    }

    /** {@code ctl cluster certs reload}, also reachable as {@code ctl certs reload}. */
    @Command(name = "certs", description = "Inter-node TLS certificates.", subcommands = {ClusterCommands.Certs.Reload.class})
    static final class Certs {
        @ParentCommand
        Object parent;

        Ctl ctl() {
            return parent instanceof ClusterCommands c ? c.ctl : (Ctl) parent;
        }

        @Command(name = "reload", description = "Re-read rpc / cluster.ssl_dist certificate, key and CA files; "
                + "new connections use them once all are valid, else the old ones stay.")
        static final class Reload implements Callable<Integer> {
            @ParentCommand
            Certs certs;

            @Override
            public Integer call() {
                Ctl ctl = certs.ctl();
                JsonNode r = ctl.client().ok(ctl.client().post("/api/v5/cluster/certs/reload", Map.of()));
                if (ctl.json) {
                    ctl.printJson(r);
                    return ExitCodes.OK;
                }
                ctl.out().println("reloaded TLS of " + names(r.path("reloaded")) + " (provider " + r.path("provider").asText()
                        + "); new connections use the new certificates");
                return ExitCodes.OK;
            }
        }
    }

    private static String port(JsonNode p) {
        return p.isInt() && p.asInt() > 0 ? p.asText() : "-";
    }

    private static String names(JsonNode array) {
        StringBuilder sb = new StringBuilder();
        array.forEach(n -> sb.append(sb.length() == 0 ? "" : ", ").append(n.asText()));
        return sb.toString();
    }
}

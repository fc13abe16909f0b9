package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ctl conf cluster_sync status} (EMQX's command name): each node's last tnx id of the
 * cluster config log, from GET /api/v5/cluster/conf/status.
 */
@Command(name = "conf", description = "The cluster configuration log.", subcommands = ConfCtl.ClusterSync.class)
final class ConfCtl {
    @ParentCommand
    Ctl ctl;

    @Command(name = "cluster_sync", description = "Replication of runtime config changes.", subcommands = ClusterSync.Status.class)
    static final class ClusterSync {
        @ParentCommand
        ConfCtl parent;

        @Command(name = "status", description = "Each node's last tnx id; lagging nodes catch up when they are back.")
        static final class Status implements Callable<Integer> {
            @ParentCommand
            ClusterSync parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.parent.ctl;
                JsonNode status = ctl.client().ok(ctl.client().get("/api/v5/cluster/conf/status"));
                if (ctl.json) {
                    ctl.printJson(status);
                    return ExitCodes.OK;
                }
                Table t = new Table("NODE", "TNX_ID", "RUNNING", "STATE");
                for (JsonNode n : status.path("nodes")) {
                    t.row(n.path("node").asText(), n.path("tnx_id").asLong(), n.path("running").asBoolean(),
                            n.path("lagging").asBoolean() ? "lagging" : "in sync");
                }
                t.print(ctl.out());
                ctl.out().println("sequencer: " + status.path("sequencer").asText());
                if (status.has("pending_tnx_ids")) {
                    ctl.out().println("pending (not committed yet): tnx " + status.path("pending_tnx_ids"));
                }
                if (status.has("divergence")) {
                    ctl.out().println("DIVERGED: " + status.path("divergence").asText());
                }
                if (status.has("recovery")) {
                    ctl.out().println("repaired at start: " + status.path("recovery").asText());
                }
                return ExitCodes.OK;
            }
        }
    }
}

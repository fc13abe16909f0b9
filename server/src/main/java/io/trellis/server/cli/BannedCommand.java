package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code trellis ctl banned list|add|delete}, through {@code /api/v5/banned}. */
@Command(name = "banned", description = "Banned client ids, usernames and peer hosts.",
        subcommands = {BannedCommand.ListBans.class, BannedCommand.Add.class, BannedCommand.Delete.class})
final class BannedCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Ctl ctl;

    @Command(name = "list", description = "Bans in force.")
    static final class ListBans implements Callable<Integer> {
        @ParentCommand
        BannedCommand parent;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            JsonNode body = ctl.client().ok(ctl.client().get("/api/v5/banned"));
            if (ctl.json) {
                ctl.printJson(body.path("data"));
                return ExitCodes.OK;
            }
            Table t = new Table("AS", "WHO", "BY", "REASON", "UNTIL");
            body.path("data").forEach(b -> t.row(b.path("as").asText(), b.path("who").asText(), b.path("by").asText(),
                    b.path("reason").asText(), b.path("until").asText()));
            t.print(ctl.out());
            return ExitCodes.OK;
        }
    }

    @Command(name = "add", description = "Ban a clientid, username or peerhost.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        BannedCommand parent;

        @Parameters(index = "0", paramLabel = "AS", description = "clientid, username or peerhost")
        String as;

        @Parameters(index = "1", paramLabel = "WHO")
        String who;

        @Option(names = "--reason")
        String reason;

        @Option(names = "--seconds", description = "How long the ban lasts (default: one year).")
        Long seconds;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ObjectNode body = JSON.createObjectNode().put("as", as).put("who", who).put("by", "ctl");
            if (reason != null) body.put("reason", reason);
            if (seconds != null) body.put("until", Instant.now().plus(Duration.ofSeconds(seconds)).toString());
            ctl.client().ok(ctl.client().sendJson("POST", "/api/v5/banned", body));
            ctl.out().println(as + " " + who + " banned");
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", description = "Lift a ban.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        BannedCommand parent;

        @Parameters(index = "0", paramLabel = "AS")
        String as;

        @Parameters(index = "1", paramLabel = "WHO")
        String who;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ctl.client().ok(ctl.client().delete("/api/v5/banned/" + ApiClient.encode(as) + "/" + ApiClient.encode(who)));
            ctl.out().println("ban on " + as + " " + who + " lifted");
            return ExitCodes.OK;
        }
    }
}

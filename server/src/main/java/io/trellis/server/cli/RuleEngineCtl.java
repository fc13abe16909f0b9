package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code ctl rules list}, {@code ctl connectors list}, {@code ctl actions list}: tables, or the API's JSON with --json. */
final class RuleEngineCtl {
    private RuleEngineCtl() {
    }

    @Command(name = "rules", description = "Rules of the rule engine.", subcommands = Rules.ListRules.class)
    static final class Rules {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "Every rule with its SQL, actions and counts.")
        static final class ListRules implements Callable<Integer> {
            @ParentCommand
            Rules parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                JsonNode rules = ctl.all("/api/v5/rules");
                if (ctl.json) {
                    ctl.printJson(rules);
                    return ExitCodes.OK;
                }
                Table t = new Table("ID", "ENABLE", "MATCHED", "PASSED", "ACTIONS", "SQL");
                for (JsonNode r : rules) {
                    String id = r.path("id").asText();
                    JsonNode m = ctl.client().ok(ctl.client().get("/api/v5/rules/" + id + "/metrics")).path("metrics");
                    t.row(id, r.path("enable").asBoolean(), m.path("matched").asLong(), m.path("passed").asLong(),
                            actions(r.path("actions")), r.path("sql").asText());
                }
                t.print(ctl.out());
                return ExitCodes.OK;
            }

            private static String actions(JsonNode actions) {
                StringBuilder sb = new StringBuilder();
                for (JsonNode a : actions) {
                    if (sb.length() > 0) sb.append(',');
                    sb.append(a.isTextual() ? a.asText() : a.path("function").asText("?"));
                }
                return sb.toString();
            }
        }
    }

    @Command(name = "connectors", description = "Connectors (outbound endpoints).", subcommands = Connectors.ListConnectors.class)
    static final class Connectors {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "Every connector with its target and status (a denied target shows why).")
        static final class ListConnectors implements Callable<Integer> {
            @ParentCommand
            Connectors parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                JsonNode list = ctl.client().ok(ctl.client().get("/api/v5/connectors"));
                if (ctl.json) {
                    ctl.printJson(list);
                    return ExitCodes.OK;
                }
                Table t = new Table("ID", "ENABLE", "STATUS", "TARGET", "REASON");
                for (JsonNode c : list) {
                    String target = c.hasNonNull("url") ? c.path("url").asText() : c.path("server").asText();
                    t.row(c.path("type").asText() + ":" + c.path("name").asText(), c.path("enable").asBoolean(),
                            c.path("status").asText(), target, c.path("status_reason").asText(""));
                }
                t.print(ctl.out());
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "actions", description = "Actions (what rules send through connectors).", subcommands = Actions.ListActions.class)
    static final class Actions {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "Every action with its connector, status and counts.")
        static final class ListActions implements Callable<Integer> {
            @ParentCommand
            Actions parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                JsonNode list = ctl.client().ok(ctl.client().get("/api/v5/actions"));
                if (ctl.json) {
                    ctl.printJson(list);
                    return ExitCodes.OK;
                }
                Table t = new Table("ID", "CONNECTOR", "ENABLE", "STATUS", "SUCCESS", "FAILED", "DROPPED");
                for (JsonNode a : list) {
                    JsonNode m = a.path("metrics");
                    t.row(a.path("type").asText() + ":" + a.path("name").asText(), a.path("connector").asText(),
                            a.path("enable").asBoolean(), a.path("status").asText(), m.path("success").asLong(),
                            m.path("failed").asLong(), m.path("dropped").asLong());
                }
                t.print(ctl.out());
                return ExitCodes.OK;
            }
        }
    }
}

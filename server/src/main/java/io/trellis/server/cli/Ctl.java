package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.server.api.LocalCredential;
import io.trellis.server.node.NodeSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code trellis ctl}: manages the local running node through its management API. It finds the
 * node from the same config and environment as {@code start}: the API address from
 * dashboard.listeners.http.bind (0.0.0.0 / :: mean this host) and the credential the node wrote
 * into node.data_dir/api/local.cred.
 */
@Command(name = "ctl", description = "Manage the running local node.",
        subcommands = {Ctl.Status.class, Ctl.Clients.class, Ctl.Subscriptions.class, Ctl.Topics.class,
                Ctl.Metrics.class, Ctl.Listeners.class, ClusterCommands.class, ClusterCommands.Ports.class, ClusterCommands.Certs.class,
                RuleEngineCtl.Rules.class, RuleEngineCtl.Connectors.class, RuleEngineCtl.Actions.class, ConfCtl.class,
                UsersCommand.class, BannedCommand.class})
public final class Ctl {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ConfigOption config;

    @Option(names = "--json", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Print the API's JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @ParentCommand
    TrellisCommand root;

    private ApiClient client;

    ApiClient client() {
        if (client == null) {
            Map<String, String> env = root.env;
            Path file = config.resolve(env);
            NodeSettings settings;
            try {
                settings = NodeSettings.from(TrellisConfig.load(file, ServerEnv.forConfig(env)));
            } catch (ConfigException e) {
                throw new CliException("bad config " + file + ":\n  " + String.join("\n  ", e.problems()));
            }
            if (!settings.apiEnabled()) {
                throw new CliException("the management API is off (dashboard.listeners.http.enable = false in "
                        + file + "); ctl needs it");
            }
            LocalCredential credential;
            try {
                credential = LocalCredential.read(settings.dataDir());
            } catch (IOException e) {
                credential = null;
            }
            client = new ApiClient(settings.nodeName(), localHostPort(settings.apiBind()), credential,
                    LocalCredential.file(settings.dataDir()).toString());
        }
        return client;
    }

    /** Where to reach a bind address from this host: a wildcard bind means loopback. */
    static String localHostPort(InetSocketAddress bind) {
        String host = bind.getHostString();
        if (host.equals("0.0.0.0") || host.isEmpty()) {
            host = "127.0.0.1";
        } else if (host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            host = "::1";
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + bind.getPort();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    void printJson(JsonNode node) {
        try {
            out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (IOException e) {
            throw new CliException("cannot print JSON: " + e.getMessage());
        }
    }

    /** A list answer: the API's JSON with --json, else a table with one row per element. */
    int printList(JsonNode items, String[] header, java.util.function.Function<JsonNode, Object[]> row) {
        if (json) {
            printJson(items);
            return ExitCodes.OK;
        }
        Table t = new Table(header);
        items.forEach(item -> t.row(row.apply(item)));
        t.print(out());
        return ExitCodes.OK;
    }

    /** A client's answer; 404 becomes "no client X on node Y". */
    JsonNode found(ApiClient.Answer answer, String clientId) {
        if (answer.status() == 404) {
            throw new CliException("no client " + clientId + " on node " + client().nodeName());
        }
        return client().ok(answer);
    }

    /** Every page of a paginated list endpoint, as one array. */
    ArrayNode all(String path) {
        ArrayNode all = JSON.createArrayNode();
        String sep = path.contains("?") ? "&" : "?";
        for (int page = 1; ; page++) {
            JsonNode body = client().ok(client().get(path + sep + "limit=1000&_page=" + page));
            body.path("data").forEach(all::add);
            if (!body.path("meta").path("hasnext").asBoolean(false)) {
                return all;
            }
        }
    }

    @Command(name = "status", description = "Is the node running? Version, uptime, connections.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            JsonNode nodes = ctl.client().ok(ctl.client().get("/api/v5/nodes"));
            if (ctl.json) {
                ctl.printJson(nodes);
                return ExitCodes.OK;
            }
            // The API lists this node first, then its cluster peers (those are ctl cluster status's).
            JsonNode n = nodes.path(0);
            ctl.out().printf("Node %s %s is %s%n", n.path("node").asText(), n.path("version").asText(),
                    "running".equals(n.path("node_status").asText()) ? "started" : n.path("node_status").asText());
            ctl.out().printf("  uptime: %s, connections: %d%n", uptime(n.path("uptime").asLong()),
                    n.path("connections").asLong());
            if (nodes.size() > 1) {
                ctl.out().printf("  in a cluster of %d known nodes (ctl cluster status)%n", nodes.size());
            }
            return ExitCodes.OK;
        }

        static String uptime(long millis) {
            long s = millis / 1000;
            return s >= 3600 ? (s / 3600) + "h " + (s % 3600 / 60) + "m " + (s % 60) + "s"
                    : s >= 60 ? (s / 60) + "m " + (s % 60) + "s" : s + "s";
        }
    }

    @Command(name = "clients", description = "List, show or kick clients.",
            subcommands = {Clients.ListClients.class, Clients.Show.class, Clients.Kick.class})
    static final class Clients {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "All clients of the node.")
        static final class ListClients implements Callable<Integer> {
            @ParentCommand
            Clients parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                ArrayNode clients = ctl.all("/api/v5/clients");
                if (ctl.json) {
                    ctl.printJson(clients);
                    return ExitCodes.OK;
                }
                Table t = new Table("CLIENTID", "USERNAME", "ADDRESS", "PROTO", "CONNECTED", "SUBS", "CONNECTED_AT");
                for (JsonNode c : clients) {
                    t.row(c.path("clientid").asText(), c.path("username").asText(""),
                            c.path("ip_address").asText() + ":" + c.path("port").asInt(),
                            c.path("proto_name").asText() + " " + c.path("proto_ver").asInt(),
                            c.path("connected").asBoolean(), c.path("subscriptions_cnt").asInt(),
                            c.path("connected_at").asText());
                }
                t.print(ctl.out());
                ctl.out().println(t.size() + " client(s)");
                return ExitCodes.OK;
            }
        }

        @Command(name = "show", description = "One client's details.")
        static final class Show implements Callable<Integer> {
            @ParentCommand
            Clients parent;

            @Parameters(paramLabel = "CLIENTID")
            String clientId;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                JsonNode c = ctl.found(ctl.client().get("/api/v5/clients/" + ApiClient.encode(clientId)), clientId);
                if (ctl.json) {
                    ctl.printJson(c);
                    return ExitCodes.OK;
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    ctl.out().println(f.getKey() + ": " + (f.getValue().isNull() ? "" : f.getValue().asText()));
                }
                return ExitCodes.OK;
            }
        }

        @Command(name = "kick", description = "Disconnect a client and discard its session.")
        static final class Kick implements Callable<Integer> {
            @ParentCommand
            Clients parent;

            @Parameters(paramLabel = "CLIENTID")
            String clientId;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                ctl.found(ctl.client().delete("/api/v5/clients/" + ApiClient.encode(clientId)), clientId);
                ctl.out().println("client " + clientId + " kicked");
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "subscriptions", description = "Subscriptions on the node.", subcommands = Subscriptions.ListSubs.class)
    static final class Subscriptions {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "All subscriptions.")
        static final class ListSubs implements Callable<Integer> {
            @ParentCommand
            Subscriptions parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                return ctl.printList(ctl.all("/api/v5/subscriptions"), new String[] {"CLIENTID", "TOPIC", "QOS"},
                        sub -> new Object[] {sub.path("clientid").asText(), sub.path("topic").asText(), sub.path("qos").asInt()});
            }
        }
    }

    @Command(name = "topics", description = "Topics (routes) on the node.", subcommands = Topics.ListTopics.class)
    static final class Topics {
        @ParentCommand
        Ctl ctl;

        @Command(name = "list", description = "All topic filters with a subscriber.")
        static final class ListTopics implements Callable<Integer> {
            @ParentCommand
            Topics parent;

            @Override
            public Integer call() {
                Ctl ctl = parent.ctl;
                return ctl.printList(ctl.all("/api/v5/topics"), new String[] {"TOPIC", "NODE"},
                        topic -> new Object[] {topic.path("topic").asText(), topic.path("node").asText()});
            }
        }
    }

    @Command(name = "metrics", description = "Counters and gauges (EMQX names).")
    static final class Metrics implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            JsonNode metrics = ctl.client().ok(ctl.client().get("/api/v5/metrics?aggregate=true"));
            JsonNode stats = ctl.client().ok(ctl.client().get("/api/v5/stats?aggregate=true"));
            if (ctl.json) {
                ctl.printJson(JSON.createObjectNode().<com.fasterxml.jackson.databind.node.ObjectNode>set("metrics", metrics)
                        .set("stats", stats));
                return ExitCodes.OK;
            }
            Table t = new Table("NAME", "VALUE");
            stats.fields().forEachRemaining(e -> t.row(e.getKey(), e.getValue().asText()));
            metrics.fields().forEachRemaining(e -> t.row(e.getKey(), e.getValue().asText()));
            t.print(ctl.out());
            return ExitCodes.OK;
        }
    }

    @Command(name = "listeners", description = "The node's listeners.")
    static final class Listeners implements Callable<Integer> {
        @ParentCommand
        Ctl ctl;

        @Override
        public Integer call() {
            JsonNode listeners = ctl.client().ok(ctl.client().get("/api/v5/listeners"));
            if (ctl.json) {
                ctl.printJson(listeners);
                return ExitCodes.OK;
            }
            Table t = new Table("ID", "BIND", "RUNNING", "CONNECTIONS", "MAX_CONNECTIONS");
            listeners.forEach(l -> t.row(l.path("id").asText(), l.path("bind").asText(), l.path("running").asBoolean(),
                    l.path("current_connections").asLong(), l.path("max_connections").asText()));
            t.print(ctl.out());
            return ExitCodes.OK;
        }
    }
}

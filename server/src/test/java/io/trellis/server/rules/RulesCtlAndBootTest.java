package io.trellis.server.rules;

import static io.trellis.server.rules.RulesNodeTestSupport.api;
import static io.trellis.server.rules.RulesNodeTestSupport.startNode;
import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.server.Node;
import io.trellis.server.cli.TrellisCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connector saved while the policy allowed it stays, disabled with the policy's reason, when the
 * node restarts under a policy that denies it (the node starts); ctl lists rules, connectors and
 * actions as tables and JSON; check-config prints the notice while the policy is off.
 */
class RulesCtlAndBootTest {
    @TempDir
    Path dir;

    private Node node;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private int ctl(String... args) throws Exception {
        Map<String, String> env = Map.of("TRELLIS_CONF", dir.resolve("trellis.conf").toString(),
                "TRELLIS_NODE__DATA_DIR", dir.resolve("data").toString(),
                "TRELLIS_DASHBOARD__LISTENERS__HTTP__BIND", "127.0.0.1:" + node.apiAddress().getPort());
        out.getBuffer().setLength(0);
        String[] all = new String[args.length + 1];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        return TrellisCommand.run(all, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void deniedConnectorStaysDisabledAtBootWithItsReasonAndCtlListsEverything() throws Exception {
        node = startNode(dir, dir.resolve("data"), Map.of());
        assertThat(api(node, "POST", "/api/v5/connectors", Map.of("type", "http", "name", "local",
                "url", "http://127.0.0.1:9/hook")).status()).isEqualTo(201);
        assertThat(api(node, "POST", "/api/v5/actions", Map.of("type", "http", "name", "local", "connector", "local",
                "parameters", Map.of("method", "post"))).status()).isEqualTo(201);
        assertThat(api(node, "POST", "/api/v5/rules", Map.of("id", "r1", "sql", "SELECT * FROM \"t/#\"",
                "actions", List.of("http:local", Map.of("function", "republish", "args", Map.of("topic", "copy/${topic}"))))).status())
                .isEqualTo(201);
        assertThat(api(node, "PUT", "/api/v5/rule_engine", Map.of("ssrf", Map.of("enable", true))).status()).isEqualTo(200);
        // enabling and disabling are never blocked by the policy
        assertThat(api(node, "POST", "/api/v5/connectors/http:local/enable/false", null).status()).isEqualTo(204);
        assertThat(api(node, "POST", "/api/v5/connectors/http:local/enable/true", null).status()).isEqualTo(204);
        node.close();

        node = startNode(dir, dir.resolve("data"), Map.of());
        var c = api(node, "GET", "/api/v5/connectors/http:local", null).json();
        assertThat(c.get("enable").asBoolean()).isFalse();
        assertThat(c.get("status").asText()).isEqualTo("disabled");
        assertThat(c.get("status_reason").asText()).contains("127.0.0.1").contains("rule_engine.ssrf");

        assertThat(ctl("connectors", "list")).as(err.toString()).isEqualTo(0);
        assertThat(out.toString()).contains("http:local").contains("disabled").contains("http://127.0.0.1:9/hook");
        assertThat(ctl("actions", "list")).isEqualTo(0);
        assertThat(out.toString()).contains("http:local");
        assertThat(ctl("rules", "list")).isEqualTo(0);
        assertThat(out.toString()).contains("r1").contains("http:local,republish").contains("SELECT * FROM \"t/#\"");
        assertThat(ctl("rules", "list", "--json")).isEqualTo(0);
        assertThat(RulesNodeTestSupport.JSON.readTree(out.toString()).get(0).get("id").asText()).isEqualTo("r1");
    }

    @Test
    void checkConfigPrintsTheNoticeWhileThePolicyIsOffAndRejectsALooseCidr() throws Exception {
        Path conf = Files.writeString(dir.resolve("c.conf"), "rule_engine.ssrf.enable = false\n");
        assertThat(TrellisCommand.run(new String[] {"check-config", "--config", conf.toString()}, Map.of(),
                new PrintWriter(out, true), new PrintWriter(err, true))).isEqualTo(0);
        assertThat(out.toString()).contains("notice: rule_engine.ssrf.enable = false");
        out.getBuffer().setLength(0);
        Files.writeString(conf, "rule_engine.ssrf { enable = true, deny_cidrs = [\"10/8\"] }\n");
        assertThat(TrellisCommand.run(new String[] {"check-config", "--config", conf.toString()}, Map.of(),
                new PrintWriter(out, true), new PrintWriter(err, true))).isEqualTo(1);
        assertThat(err.toString()).contains("rule_engine.ssrf.deny_cidrs").contains("10/8");
        assertThat(out.toString()).doesNotContain("notice");
    }

    @Test
    void rulesConnectorsAndActionsFromTheConfigFileLoadAndADeniedTargetStaysDisabled() throws Exception {
        Files.writeString(dir.resolve("trellis.conf"), """
                rule_engine {
                  ssrf.enable = true
                  rules.from_file {
                    sql = "SELECT payload.temp as t FROM \\"sensors/#\\" WHERE payload.temp > 30"
                    actions = ["http:internal", {function = republish, args {topic = "alerts/${clientid}", payload = "${t}"}}]
                    description = "from the file"
                  }
                }
                connectors.http.internal {
                  url = "http://169.254.169.254/latest/meta-data"
                  headers { content-type = "application/json" }
                }
                actions.http.internal {
                  connector = internal
                  parameters { method = post, body = "${t}" }
                }
                """);
        node = startNode(dir, dir.resolve("data"), Map.of());
        var c = api(node, "GET", "/api/v5/connectors/http:internal", null).json();
        assertThat(c.get("enable").asBoolean()).isFalse();
        assertThat(c.get("status_reason").asText()).contains("169.254.169.254");
        var rule = api(node, "GET", "/api/v5/rules/from_file", null).json();
        assertThat(rule.get("description").asText()).isEqualTo("from the file");
        assertThat(rule.get("actions")).hasSize(2);
        assertThat(api(node, "GET", "/api/v5/actions/http:internal", null).status()).isEqualTo(200);
    }

    @Test
    void aMisspeltFieldInAConfigFileConnectorIsAProblemNamingItsKey() throws Exception {
        Path conf = Files.writeString(dir.resolve("c.conf"), "connectors.http.hook { urll = \"http://example.com/\" }\n");
        assertThat(TrellisCommand.run(new String[] {"check-config", "--config", conf.toString()}, Map.of(),
                new PrintWriter(out, true), new PrintWriter(err, true))).isEqualTo(1);
        assertThat(err.toString()).contains("connectors.http.hook").contains("urll");
    }
}

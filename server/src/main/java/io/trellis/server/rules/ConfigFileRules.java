package io.trellis.server.rules;

import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.EngineState;
import io.trellis.rules.api.Json;
import io.trellis.rules.api.RuleBody;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Connectors, actions and rules written in the config file as EMQX writes them:
 * {@code connectors.http.<name> {url = ..., headers {...}}}, {@code connectors.mqtt.<name> {server = ...}},
 * {@code actions.<type>.<name> {connector = ..., parameters {...}}},
 * {@code rule_engine.rules.<id> {sql = ..., actions = [...], enable, description}}. The fields are the
 * API's (EngineState's JSON); a misspelt field is a config problem naming its key. Whether a
 * connector's target passes the SSRF policy is decided at boot, not here: a denied one is kept,
 * disabled, with the reason in its status, and the node starts.
 */
final class ConfigFileRules {
    private ConfigFileRules() {
    }

    static EngineState read(TrellisConfig c) throws ConfigException {
        List<String> problems = new ArrayList<>();
        List<ConnectorBody> connectors = new ArrayList<>();
        List<ActionBody> actions = new ArrayList<>();
        List<RuleBody> rules = new ArrayList<>();
        typed(c, "connectors", problems, (type, name, fields, key) -> {
            fields.put("type", type);
            fields.put("name", name);
            connectors.add(Json.MAPPER.convertValue(fields, ConnectorBody.class));
        });
        typed(c, "actions", problems, (type, name, fields, key) -> {
            fields.put("type", type);
            fields.put("name", name);
            actions.add(Json.MAPPER.convertValue(fields, ActionBody.class));
        });
        String origin = c.blockOrigin("rule_engine.rules");
        for (Map.Entry<String, Object> e : c.block("rule_engine.rules").entrySet()) {
            String key = "rule_engine.rules." + e.getKey();
            if (!(e.getValue() instanceof Map<?, ?> m)) {
                problems.add(origin + ": " + key + ": expected a block { sql = \"SELECT ...\", actions = [...] }");
                continue;
            }
            Map<String, Object> fields = copy(m);
            fields.put("id", e.getKey());
            try {
                rules.add(Json.MAPPER.convertValue(fields, RuleBody.class));
            } catch (IllegalArgumentException ex) {
                problems.add(origin + ": " + key + ": " + reason(ex));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new EngineState(connectors, actions, rules);
    }

    private interface Item {
        void add(String type, String name, Map<String, Object> fields, String key);
    }

    private static void typed(TrellisConfig c, String block, List<String> problems, Item item) {
        String origin = c.blockOrigin(block);
        for (Map.Entry<String, Object> byType : c.block(block).entrySet()) {
            if (!(byType.getValue() instanceof Map<?, ?> named)) {
                problems.add(origin + ": " + block + "." + byType.getKey() + ": expected " + block + "." + byType.getKey()
                        + ".<name> { ... }");
                continue;
            }
            for (Map.Entry<?, ?> e : named.entrySet()) {
                String key = block + "." + byType.getKey() + "." + e.getKey();
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    problems.add(origin + ": " + key + ": expected a block { ... }");
                    continue;
                }
                try {
                    item.add(byType.getKey(), String.valueOf(e.getKey()), copy(m), key);
                } catch (IllegalArgumentException ex) {
                    problems.add(origin + ": " + key + ": " + reason(ex));
                }
            }
        }
    }

    private static Map<String, Object> copy(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    /** Jackson's first line, which names the field ("Unrecognized field "urll" ..."). */
    private static String reason(IllegalArgumentException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        int paren = m.indexOf(" (class ");
        return (paren < 0 ? m : m.substring(0, paren)) + " (see the API body of the same name in docs)";
    }
}

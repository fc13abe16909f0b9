package io.trellis.rules.api;

import java.util.List;

/**
 * Everything the engine was told, as one JSON document: what is persisted under the data dir
 * and replicated through the cluster config log. Loading it is a boot: connectors whose target
 * the SSRF policy denies are kept, disabled, with the reason in their status.
 */
public record EngineState(List<ConnectorBody> connectors, List<ActionBody> actions, List<RuleBody> rules) {

    public EngineState {
        connectors = connectors == null ? List.of() : List.copyOf(connectors);
        actions = actions == null ? List.of() : List.copyOf(actions);
        rules = rules == null ? List.of() : List.copyOf(rules);
    }
}

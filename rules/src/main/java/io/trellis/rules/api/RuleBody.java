package io.trellis.rules.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A rule as EMQX's {@code /api/v5/rules} takes it. {@code actions} holds action ids
 * ({@code "http:my_webhook"}) and built-in actions as maps
 * ({@code {"function": "republish", "args": {"topic": "...", "payload": "...", "qos": 0, "retain": false}}},
 * {@code {"function": "console"}}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties({"from", "created_at", "metadata", "metrics", "node_metrics", "last_modified_at"})
public record RuleBody(String id, String name, String sql, List<Object> actions, Boolean enable, String description) {

    public boolean enabled() {
        return enable == null || enable;
    }

    public RuleBody withEnable(boolean on) {
        return new RuleBody(id, name, sql, actions, on, description);
    }

    public RuleBody withId(String newId) {
        return new RuleBody(newId, name, sql, actions, enable, description);
    }
}

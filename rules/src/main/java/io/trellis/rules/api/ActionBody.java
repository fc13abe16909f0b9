package io.trellis.rules.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * An action as EMQX's {@code /api/v5/actions} takes it: {@code type} ({@code http} or
 * {@code mqtt}), {@code name}, the {@code connector} name, {@code parameters} and
 * {@code resource_opts}. Rules refer to it as {@code "<type>:<name>"}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties({"tags", "status", "status_reason", "node_status", "rules", "created_at", "last_modified_at"})
public record ActionBody(
        String type,
        String name,
        String connector,
        Boolean enable,
        String description,
        Parameters parameters,
        @JsonProperty("resource_opts") ResourceOpts resourceOpts) {

    /**
     * HTTP: {@code method} (default post), {@code path} (appended to the connector's url),
     * {@code headers}, {@code body} (empty: all selected fields as JSON). MQTT: {@code topic},
     * {@code qos}, {@code retain}, {@code payload}. All text values are templates. Both:
     * {@code max_retries} (EMQX's HTTP action parameter; {@code resource_opts.max_retries} wins).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties({"request_timeout"})
    public record Parameters(String method, String path, Map<String, String> headers, String body,
                             String topic, Object qos, Object retain, String payload,
                             @JsonProperty("max_retries") Integer maxRetries) {

        /** Parameters without {@code max_retries}. */
        public Parameters(String method, String path, Map<String, String> headers, String body,
                          String topic, Object qos, Object retain, String payload) {
            this(method, path, headers, body, topic, qos, retain, payload, null);
        }
    }

    /**
     * Buffering: {@code inflight_window} (sends at once), {@code max_buffer_len} (outputs waiting,
     * a count: Trellis's stand-in for EMQX's {@code max_buffer_bytes}), {@code max_retries}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties({"worker_pool_size", "health_check_interval", "query_mode", "request_ttl", "max_buffer_bytes",
            "batch_size", "batch_time", "start_after_created", "start_timeout", "resume_interval"})
    public record ResourceOpts(@JsonProperty("inflight_window") Integer inflightWindow,
                               @JsonProperty("max_buffer_len") Integer maxBufferLen,
                               @JsonProperty("max_retries") Integer maxRetries) {
    }

    public boolean enabled() {
        return enable == null || enable;
    }

    public String id() {
        return type + ":" + name;
    }

    public ActionBody withEnable(boolean on) {
        return new ActionBody(type, name, connector, on, description, parameters, resourceOpts);
    }
}

package io.trellis.rules.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * An action as EMQX's {@code /api/v5/actions} takes it: {@code type} ({@code http} or
 * {@code mqtt}), {@code name}, the {@code connector} name, {@code parameters} and
 * {@code resource_opts}. Rules refer to it as {@code "<type>:<name>"}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
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
     * {@code qos}, {@code retain}, {@code payload}. All text values are templates.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Parameters(String method, String path, Map<String, String> headers, String body,
                             String topic, Object qos, Object retain, String payload) {
    }

    /**
     * Buffering: {@code inflight_window} (sends at once), {@code max_buffer_len} (outputs waiting,
     * a count: Trellis's stand-in for EMQX's {@code max_buffer_bytes}), {@code max_retries}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
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

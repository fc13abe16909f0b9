package io.trellis.rules.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.trellis.config.Secret;
import java.util.Map;

/**
 * A connector as EMQX's {@code /api/v5/connectors} takes it. {@code type} {@code http}: {@code url},
 * {@code headers}, {@code pool_size}, {@code connect_timeout}, {@code request_timeout};
 * {@code type} {@code mqtt}: {@code server} ({@code host[:port]}), {@code username},
 * {@code password}, {@code clientid_prefix}, {@code keepalive}. Both: {@code ssl}, {@code enable}.
 * Durations are EMQX's ({@code "15s"}). EMQX fields Trellis does not use ({@code pool_type},
 * {@code enable_pipelining}, {@code resource_opts}, ...) are accepted and ignored; any other
 * unknown field is an error, so that a misspelt key is not silently dropped. The password is a {@link Secret}: it never shows in
 * {@code toString()}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(value = {"pool_type", "enable_pipelining", "resource_opts", "tags", "proto_ver", "bridge_mode",
        "clean_start", "retry_interval", "max_inflight", "static_clientids", "status", "status_reason", "node_status",
        "actions", "created_at"}, allowGetters = false)
public record ConnectorBody(
        String type,
        String name,
        Boolean enable,
        String description,
        String url,
        Map<String, String> headers,
        @JsonProperty("pool_size") Integer poolSize,
        @JsonProperty("connect_timeout") String connectTimeout,
        @JsonProperty("request_timeout") String requestTimeout,
        String server,
        String username,
        Secret password,
        @JsonProperty("clientid_prefix") String clientidPrefix,
        String keepalive,
        Ssl ssl) {

    /** EMQX's client {@code ssl} block (the subset Trellis uses; other EMQX keys are accepted and ignored). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Ssl(Boolean enable, String verify, String cacertfile,
                      @JsonProperty("server_name_indication") String serverNameIndication) {
        public boolean enabled() {
            return Boolean.TRUE.equals(enable);
        }

        public boolean verifyPeer() {
            return !"verify_none".equals(verify);
        }
    }

    public boolean enabled() {
        return enable == null || enable;
    }

    public String id() {
        return type + ":" + name;
    }

    public ConnectorBody withEnable(boolean on) {
        return new ConnectorBody(type, name, on, description, url, headers, poolSize, connectTimeout, requestTimeout,
                server, username, password, clientidPrefix, keepalive, ssl);
    }
}

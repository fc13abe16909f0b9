package io.trellis.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.Json;
import io.trellis.rules.api.RuleBody;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** EMQX's API bodies, as its dashboard sends them, map onto the records. */
class ApiBodiesTest {

    @Test
    void emqxHttpConnectorActionAndRuleBodiesMap() throws Exception {
        ConnectorBody c = Json.MAPPER.readValue("""
                {"type": "http", "name": "my_hook", "url": "http://hooks.example.com:8080/in",
                 "headers": {"content-type": "application/json"}, "pool_size": 8, "pool_type": "random",
                 "connect_timeout": "15s", "enable_pipelining": 100, "enable": true,
                 "ssl": {"enable": false, "verify": "verify_peer", "versions": ["tlsv1.3"]},
                 "resource_opts": {"health_check_interval": "15s", "start_timeout": "5s"}}
                """, ConnectorBody.class);
        assertThat(c.id()).isEqualTo("http:my_hook");
        assertThat(c.poolSize()).isEqualTo(8);
        assertThat(c.connectTimeout()).isEqualTo("15s");
        assertThat(c.ssl().enabled()).isFalse();

        ActionBody a = Json.MAPPER.readValue("""
                {"type": "http", "name": "to_hook", "connector": "my_hook", "enable": true,
                 "parameters": {"method": "post", "path": "/${clientid}", "body": "${payload}",
                                "headers": {"x-id": "${id}"}, "max_retries": 2, "request_timeout": "15s"},
                 "resource_opts": {"worker_pool_size": 16, "query_mode": "async", "request_ttl": "45s",
                                   "inflight_window": 100, "max_buffer_bytes": "256MB"}}
                """, ActionBody.class);
        assertThat(a.id()).isEqualTo("http:to_hook");
        assertThat(a.parameters().maxRetries()).isEqualTo(2);
        assertThat(a.resourceOpts().inflightWindow()).isEqualTo(100);

        RuleBody r = Json.MAPPER.readValue("""
                {"id": "rule_1", "sql": "SELECT * FROM \\"t/#\\"", "enable": true, "description": "",
                 "actions": ["http:to_hook", {"function": "republish",
                   "args": {"topic": "a/${clientid}", "qos": 0, "retain": false, "payload": "${payload}"}},
                   {"function": "console"}]}
                """, RuleBody.class);
        assertThat(r.actions()).hasSize(3).first().isEqualTo("http:to_hook");
        assertThat(r.actions().get(1)).isInstanceOf(Map.class);
        assertThat(r.enabled()).isTrue();
    }

    @Test
    void aMisspeltFieldIsAnErrorNamingIt() {
        assertThatThrownBy(() -> Json.MAPPER.readValue("{\"type\": \"http\", \"name\": \"x\", \"ulr\": \"http://a\"}", ConnectorBody.class))
                .isInstanceOf(UnrecognizedPropertyException.class).hasMessageContaining("\"ulr\"");
    }

    @Test
    void theBridgePasswordNeverShowsInToString() throws Exception {
        ConnectorBody c = Json.MAPPER.readValue("""
                {"type": "mqtt", "name": "b", "server": "broker.example.com:1883", "username": "u", "password": "p@ss-w0rd"}
                """, ConnectorBody.class);
        assertThat(c.toString()).doesNotContain("p@ss-w0rd");
        assertThat(c.password().reveal()).isEqualTo("p@ss-w0rd");
        assertThat(List.of(c).toString()).doesNotContain("p@ss-w0rd");
    }
}

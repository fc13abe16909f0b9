package io.trellis.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.trellis.config.Secret;
import io.trellis.rules.action.RetryPolicy;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.RuleBody;
import io.trellis.rules.connector.ConnectorStatus.State;
import io.trellis.rules.testing.FakeMqttBroker;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RuleEngineMqttBridgeTest {

    private final SsrfPolicyHolder policy = new SsrfPolicyHolder(
            SsrfPolicy.builder().enable(true).allowCidrs(List.of("127.0.0.1/32")).build());
    private FakeMqttBroker remote;
    private RuleEngine engine;

    @BeforeEach
    void start() throws Exception {
        remote = new FakeMqttBroker();
        engine = RuleEngine.builder().ssrfPolicy(policy).bridgeBackoff(Duration.ofMillis(20))
                .retryPolicy(new RetryPolicy(100, 4, 5, Duration.ofMillis(20), Duration.ofMillis(100))).build();
    }

    @AfterEach
    void stop() {
        engine.close();
        remote.close();
    }

    static ConnectorBody bridge(String name, String server) {
        return new ConnectorBody("mqtt", name, null, null, null, null, null, "2s", null, server, "bridge-user",
                new Secret("bridge-pw"), "edge1_", null, null);
    }

    private static RuleInput msg(String topic, String payload) {
        return new RuleInput("", topic, payload.getBytes(StandardCharsets.UTF_8), 0, false, "c1", null, null, 1L, Map.of());
    }

    @Test
    void bridgePublishesRenderedMessagesWithCredentialsAndReconnects() throws Exception {
        engine.createConnector(bridge("remote", "127.0.0.1:" + remote.port()));
        FakeMqttBroker.Connect connect = remote.connects.poll(10, TimeUnit.SECONDS);
        assertThat(connect).isNotNull();
        assertThat(connect.username()).isEqualTo("bridge-user");
        assertThat(connect.password()).isEqualTo("bridge-pw");
        assertThat(connect.clientId()).startsWith("edge1_");
        await().until(() -> engine.connector("mqtt:remote").status().state() == State.CONNECTED);
        assertThat(engine.connector("mqtt:remote").body().toString()).doesNotContain("bridge-pw");

        engine.createAction(new ActionBody("mqtt", "fwd", "remote", null, null,
                new ActionBody.Parameters(null, null, null, null, "fwd/${topic}", 1, "${flags.retain}", "${payload.v}"), null));
        engine.createRule(new RuleBody("r1", null, "SELECT * FROM \"local/#\"", List.of("mqtt:fwd"), null, null));

        engine.onMessagePublished(msg("local/a", "{\"v\": 42}"));
        assertThat(remote.publishes.poll(10, TimeUnit.SECONDS)).isEqualTo(new FakeMqttBroker.Publish("fwd/local/a", "42", 1, false));
        await().untilAsserted(() -> assertThat(engine.action("mqtt:fwd").metrics()).containsEntry("success", 1L));

        remote.kickClients();
        assertThat(remote.connects.poll(10, TimeUnit.SECONDS)).as("the bridge reconnects").isNotNull();
        await().until(() -> engine.connector("mqtt:remote").status().state() == State.CONNECTED);
        engine.onMessagePublished(msg("local/b", "{\"v\": 7}"));
        assertThat(remote.publishes.poll(10, TimeUnit.SECONDS)).isEqualTo(new FakeMqttBroker.Publish("fwd/local/b", "7", 1, false));
        await().untilAsserted(() -> assertThat(engine.action("mqtt:fwd").metrics()).containsEntry("success", 2L));
    }

    @Test
    void qos2PublishesCompleteOnPubcomp() throws Exception {
        engine.createConnector(bridge("remote", "127.0.0.1:" + remote.port()));
        await().until(() -> engine.connector("mqtt:remote").status().state() == State.CONNECTED);
        engine.createAction(new ActionBody("mqtt", "q2", "remote", null, null,
                new ActionBody.Parameters(null, null, null, null, "q2/${clientid}", "2", true, "p"), null));
        engine.createRule(new RuleBody("r2", null, "SELECT clientid FROM \"#\"", List.of("mqtt:q2"), null, null));

        engine.onMessagePublished(msg("x", "{}"));

        assertThat(remote.publishes.poll(10, TimeUnit.SECONDS)).isEqualTo(new FakeMqttBroker.Publish("q2/c1", "p", 2, true));
        await().untilAsserted(() -> assertThat(engine.action("mqtt:q2").metrics()).containsEntry("success", 1L).containsEntry("inflight", 0L));
    }

    @Test
    void theDefaultPolicyRefusesALoopbackBridgeServer() {
        policy.set(SsrfPolicy.builder().enable(true).build());
        assertThatThrownBy(() -> engine.createConnector(bridge("remote", "127.0.0.1:" + remote.port())))
                .isInstanceOf(ConnectorTargetDeniedException.class).hasMessageContaining("rule_engine.ssrf")
                .satisfies(e -> assertThat(((RuleConfigException) e).field()).isEqualTo("server"));
        assertThatThrownBy(() -> engine.createConnector(bridge("remote", "127.0.0.1:99999")))
                .isInstanceOf(RuleConfigException.class).hasMessageContaining("server");
        assertThat(remote.connects).isEmpty();
    }

    @Test
    void aPolicyChangeStopsTheReconnectAndTheStatusSaysWhy() throws Exception {
        engine.createConnector(bridge("remote", "127.0.0.1:" + remote.port()));
        assertThat(remote.connects.poll(10, TimeUnit.SECONDS)).isNotNull();
        policy.set(SsrfPolicy.builder().enable(true).build());
        remote.kickClients();
        await().untilAsserted(() -> assertThat(engine.connector("mqtt:remote").status().reason()).contains("rule_engine.ssrf"));
        assertThat(engine.connector("mqtt:remote").status().state()).isEqualTo(State.DISCONNECTED);
        assertThat(remote.connects).isEmpty();
    }
}

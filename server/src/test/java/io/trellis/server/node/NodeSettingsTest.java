package io.trellis.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.transport.ListenerSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {
    @Test
    void mapsEmqxKeysToBrokerSettingsAndListeners() throws Exception {
        TrellisConfig config = TrellisConfig.parse("""
                node.name = "n1@10.0.0.1"
                mqtt { max_packet_size = 2MB, max_inflight = 64, retry_interval = 10s, server_keepalive = disabled }
                listeners.tcp.internal { bind = "127.0.0.1:11883", max_connections = 100 }
                listeners.ws.default.enable = false
                listeners.wss.default.enable = false
                """, "test.conf", Map.of("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "false"));
        NodeSettings s = NodeSettings.from(config);
        assertThat(s.nodeName()).isEqualTo("n1@10.0.0.1");
        assertThat(s.broker().nodeName()).isEqualTo("n1@10.0.0.1");
        assertThat(s.broker().maxPacketSize()).isEqualTo(2 * 1024 * 1024);
        assertThat(s.broker().maxInflight()).isEqualTo(64);
        assertThat(s.broker().retryInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.broker().serverKeepalive()).isZero();
        assertThat(s.listeners()).extracting(NodeSettings.ListenerPlan::id)
                .containsExactly("tcp:default", "tcp:internal");
        NodeSettings.ListenerPlan internal = s.listeners().get(1);
        assertThat(internal.bind().getPort()).isEqualTo(11883);
        assertThat(internal.maxConnections()).isEqualTo(100);
        assertThat(s.listeners().get(0).maxConnections()).isEqualTo(Integer.MAX_VALUE);
        assertThat(s.apiEnabled()).isTrue();
        assertThat(s.apiBind().getPort()).isEqualTo(18083);
        assertThat(s.apiKeyFile()).isNull();
        assertThat(s.dataDir()).isEqualTo(Path.of("data"));
    }

    @Test
    void tlsListenersCarryTheirSslOptions() throws Exception {
        NodeSettings s = NodeSettings.from(TrellisConfig.parse("""
                listeners.ssl.default.ssl_options { verify = verify_peer, fail_if_no_peer_cert = true }
                """, "test.conf", Map.of()));
        NodeSettings.ListenerPlan ssl = s.listeners().stream().filter(l -> l.type() == ListenerSpec.Type.SSL)
                .findFirst().orElseThrow();
        assertThat(ssl.tls().verifyPeer()).isTrue();
        assertThat(ssl.tls().failIfNoPeerCert()).isTrue();
        assertThat(ssl.tls().certfile()).isEqualTo(Path.of("etc/certs/cert.pem"));
        NodeSettings.ListenerPlan wss = s.listeners().stream().filter(l -> l.type() == ListenerSpec.Type.WSS)
                .findFirst().orElseThrow();
        assertThat(wss.wsPath()).isEqualTo("/mqtt");
        assertThat(wss.tls().verifyPeer()).isFalse();
    }

    @Test
    void emqxLogLevelsMapToLogback() {
        assertThat(LoggingSetup.level("notice").toString()).isEqualTo("INFO");
        assertThat(LoggingSetup.level("warning").toString()).isEqualTo("WARN");
        assertThat(LoggingSetup.level("emergency").toString()).isEqualTo("ERROR");
        assertThat(LoggingSetup.level("none").toString()).isEqualTo("OFF");
    }
}

package io.trellis.server.node;

import io.trellis.config.Secret;
import io.trellis.config.TrellisConfig;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a node needs from its configuration, mapped once from the EMQX-style keys: node.*,
 * mqtt.* to {@link BrokerSettings}, listeners.* to listener plans, dashboard.*, api_key.*, log.*.
 */
public record NodeSettings(String nodeName, Path dataDir, BrokerSettings broker, List<ListenerPlan> listeners,
                           boolean apiEnabled, InetSocketAddress apiBind, Path apiKeyFile, LogSettings log) {

    /** One enabled MQTT listener before its TLS context is made. */
    public record ListenerPlan(ListenerSpec.Type type, String name, InetSocketAddress bind, int maxConnections,
                               String wsPath, TlsFiles tls) {
        public String id() {
            return type.id() + ":" + name;
        }
    }

    /** A TLS listener's ssl_options. */
    public record TlsFiles(Path certfile, Path keyfile, Path cacertfile, Secret password, boolean verifyPeer,
                           boolean failIfNoPeerCert, List<String> versions, List<String> ciphers) {
    }

    /** log.console.* and log.file.*, levels as EMQX names them (debug ... emergency, none). */
    public record LogSettings(boolean consoleEnabled, String consoleLevel, boolean fileEnabled, Path filePath,
                              String fileLevel) {
        public static LogSettings defaults() {
            return new LogSettings(true, "warning", false, Path.of("log/trellis.log"), "warning");
        }
    }

    public static NodeSettings from(TrellisConfig config) {
        ConfigValues c = new ConfigValues(config);
        String nodeName = c.string("node.name");
        BrokerSettings broker = new BrokerSettings(
                nodeName,
                c.integer("mqtt.max_packet_size"),
                c.integer("mqtt.max_clientid_len"),
                c.integer("mqtt.max_topic_levels"),
                c.integer("mqtt.max_qos_allowed"),
                c.integer("mqtt.max_topic_alias"),
                c.bool("mqtt.retain_available"),
                c.bool("mqtt.wildcard_subscription"),
                c.bool("mqtt.shared_subscription"),
                c.bool("mqtt.ignore_loop_deliver"),
                c.duration("mqtt.idle_timeout"),
                c.decimal("mqtt.keepalive_multiplier"),
                c.integer("mqtt.server_keepalive"),
                c.duration("mqtt.session_expiry_interval"),
                c.integer("mqtt.max_inflight"),
                c.duration("mqtt.retry_interval"),
                c.integer("mqtt.max_awaiting_rel"),
                c.duration("mqtt.await_rel_timeout"),
                c.integer("mqtt.max_mqueue_len"),
                c.bool("mqtt.mqueue_store_qos0"),
                c.bool("mqtt.upgrade_qos"),
                c.string("mqtt.shared_subscription_strategy"),
                c.longValue("mqtt.max_send_queue"));
        List<ListenerPlan> listeners = new ArrayList<>();
        for (ListenerSpec.Type type : ListenerSpec.Type.values()) {
            String prefix = "listeners." + type.id();
            for (String name : c.names(prefix).stream().sorted().toList()) {
                if (!c.bool(prefix + ".{name}.enable", name)) {
                    continue;
                }
                String wsPath = type.websocket() ? c.string(prefix + ".{name}.websocket.mqtt_path", name) : null;
                TlsFiles tls = type.tls() ? tlsFiles(c, prefix + ".{name}.ssl_options.", name) : null;
                listeners.add(new ListenerPlan(type, name, c.bind(prefix + ".{name}.bind", name),
                        c.integer(prefix + ".{name}.max_connections", name), wsPath, tls));
            }
        }
        LogSettings log = new LogSettings(c.bool("log.console.enable"), c.string("log.console.level"),
                c.bool("log.file.enable"), c.path("log.file.path"), c.string("log.file.level"));
        return new NodeSettings(nodeName, c.path("node.data_dir"), broker, List.copyOf(listeners),
                c.bool("dashboard.listeners.http.enable"), c.bind("dashboard.listeners.http.bind"),
                c.path("api_key.bootstrap_file"), log);
    }

    private static TlsFiles tlsFiles(ConfigValues c, String prefix, String name) {
        return new TlsFiles(c.path(prefix + "certfile", name), c.path(prefix + "keyfile", name),
                c.path(prefix + "cacertfile", name), c.secret(prefix + "password", name),
                "verify_peer".equals(c.string(prefix + "verify", name)),
                c.bool(prefix + "fail_if_no_peer_cert", name),
                c.list(prefix + "versions", name), c.list(prefix + "ciphers", name));
    }
}

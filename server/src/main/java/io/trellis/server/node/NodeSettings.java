package io.trellis.server.node;

import io.trellis.config.ConfigKey;
import io.trellis.config.Keys;
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

    /** The keys of one listener type; the ssl_options keys are null for tcp and ws. */
    private record ListenerKeys(ConfigKey<Boolean> enable, ConfigKey<InetSocketAddress> bind,
                                ConfigKey<Integer> maxConnections, ConfigKey<String> wsPath,
                                ConfigKey<Path> certfile, ConfigKey<Path> keyfile, ConfigKey<Path> cacertfile,
                                ConfigKey<Secret> password, ConfigKey<String> verify,
                                ConfigKey<Boolean> failIfNoPeerCert, ConfigKey<List<String>> versions,
                                ConfigKey<List<String>> ciphers) {
        static ListenerKeys of(ListenerSpec.Type type) {
            return switch (type) {
                case TCP -> new ListenerKeys(Keys.TCP_ENABLE, Keys.TCP_BIND, Keys.TCP_MAX_CONNECTIONS, null,
                        null, null, null, null, null, null, null, null);
                case WS -> new ListenerKeys(Keys.WS_ENABLE, Keys.WS_BIND, Keys.WS_MAX_CONNECTIONS, Keys.WS_MQTT_PATH,
                        null, null, null, null, null, null, null, null);
                case SSL -> new ListenerKeys(Keys.SSL_ENABLE, Keys.SSL_BIND, Keys.SSL_MAX_CONNECTIONS, null,
                        Keys.SSL_CERTFILE, Keys.SSL_KEYFILE, Keys.SSL_CACERTFILE, Keys.SSL_PASSWORD, Keys.SSL_VERIFY,
                        Keys.SSL_FAIL_IF_NO_PEER_CERT, Keys.SSL_VERSIONS, Keys.SSL_CIPHERS);
                case WSS -> new ListenerKeys(Keys.WSS_ENABLE, Keys.WSS_BIND, Keys.WSS_MAX_CONNECTIONS,
                        Keys.WSS_MQTT_PATH, Keys.WSS_CERTFILE, Keys.WSS_KEYFILE, Keys.WSS_CACERTFILE,
                        Keys.WSS_PASSWORD, Keys.WSS_VERIFY, Keys.WSS_FAIL_IF_NO_PEER_CERT, Keys.WSS_VERSIONS,
                        Keys.WSS_CIPHERS);
            };
        }
    }

    public static NodeSettings from(TrellisConfig c) {
        String nodeName = c.get(Keys.NODE_NAME);
        BrokerSettings broker = new BrokerSettings(
                nodeName,
                (int) Math.min(Integer.MAX_VALUE, c.get(Keys.MQTT_MAX_PACKET_SIZE)),
                c.get(Keys.MQTT_MAX_CLIENTID_LEN),
                c.get(Keys.MQTT_MAX_TOPIC_LEVELS),
                c.get(Keys.MQTT_MAX_QOS_ALLOWED),
                c.get(Keys.MQTT_MAX_TOPIC_ALIAS),
                c.get(Keys.MQTT_RETAIN_AVAILABLE),
                c.get(Keys.MQTT_WILDCARD_SUBSCRIPTION),
                c.get(Keys.MQTT_SHARED_SUBSCRIPTION),
                c.get(Keys.MQTT_IGNORE_LOOP_DELIVER),
                c.get(Keys.MQTT_IDLE_TIMEOUT),
                c.get(Keys.MQTT_KEEPALIVE_MULTIPLIER),
                c.get(Keys.MQTT_SERVER_KEEPALIVE),
                c.get(Keys.MQTT_SESSION_EXPIRY_INTERVAL),
                c.get(Keys.MQTT_MAX_INFLIGHT),
                c.get(Keys.MQTT_RETRY_INTERVAL),
                c.get(Keys.MQTT_MAX_AWAITING_REL),
                c.get(Keys.MQTT_AWAIT_REL_TIMEOUT),
                c.get(Keys.MQTT_MAX_MQUEUE_LEN),
                c.get(Keys.MQTT_MQUEUE_STORE_QOS0),
                c.get(Keys.MQTT_UPGRADE_QOS),
                c.get(Keys.MQTT_SHARED_SUBSCRIPTION_STRATEGY),
                c.get(Keys.MQTT_MAX_SEND_QUEUE));
        List<ListenerPlan> listeners = new ArrayList<>();
        for (ListenerSpec.Type type : ListenerSpec.Type.values()) {
            ListenerKeys k = ListenerKeys.of(type);
            for (String name : c.names("listeners." + type.id()).stream().sorted().toList()) {
                if (!c.get(k.enable(), name)) {
                    continue;
                }
                TlsFiles tls = type.tls() ? new TlsFiles(c.get(k.certfile(), name), c.get(k.keyfile(), name),
                        c.get(k.cacertfile(), name), c.get(k.password(), name),
                        "verify_peer".equals(c.get(k.verify(), name)), c.get(k.failIfNoPeerCert(), name),
                        c.get(k.versions(), name), c.get(k.ciphers(), name)) : null;
                listeners.add(new ListenerPlan(type, name, c.get(k.bind(), name), c.get(k.maxConnections(), name),
                        type.websocket() ? c.get(k.wsPath(), name) : null, tls));
            }
        }
        LogSettings log = new LogSettings(c.get(Keys.LOG_CONSOLE_ENABLE), c.get(Keys.LOG_CONSOLE_LEVEL),
                c.get(Keys.LOG_FILE_ENABLE), c.get(Keys.LOG_FILE_PATH), c.get(Keys.LOG_FILE_LEVEL));
        return new NodeSettings(nodeName, c.get(Keys.NODE_DATA_DIR), broker, List.copyOf(listeners),
                c.get(Keys.DASHBOARD_HTTP_ENABLE), c.get(Keys.DASHBOARD_HTTP_BIND),
                c.get(Keys.API_KEY_BOOTSTRAP_FILE), log);
    }
}

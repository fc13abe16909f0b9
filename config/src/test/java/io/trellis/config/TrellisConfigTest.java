package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrellisConfigTest {
    private static final String COOKIE = "s3cr3t-Cookie-value-42";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private TrellisConfig load(String text) throws Exception {
        return TrellisConfig.load(write("trellis.conf", text), Map.of());
    }

    private List<String> problems(String text, Map<String, String> env) throws Exception {
        Path file = write("trellis.conf", text);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> TrellisConfig.load(file, env));
        assertThat(e).as("expected a ConfigException").isNotNull();
        return e.problems();
    }

    @Test
    void emptyFileGivesEmqxDefaults() throws Exception {
        TrellisConfig config = load("");
        assertThat(config.get(Keys.NODE_NAME)).isEqualTo("trellis@127.0.0.1");
        assertThat(config.get(Keys.NODE_COOKIE)).isNull();
        assertThat(config.get(Keys.MQTT_MAX_PACKET_SIZE)).isEqualTo(1048576L);
        assertThat(config.get(Keys.MQTT_IDLE_TIMEOUT)).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.get(Keys.MQTT_SERVER_KEEPALIVE)).isZero();
        assertThat(config.get(Keys.MQTT_MAX_SEND_QUEUE)).isEqualTo(16L * 1024 * 1024);
        assertThat(config.get(Keys.TCP_MAX_CONNECTIONS, "default")).isEqualTo(Keys.UNLIMITED);
        assertThat(config.get(Keys.TCP_BIND, "default")).isEqualTo(new InetSocketAddress("0.0.0.0", 1883));
        assertThat(config.get(Keys.WSS_BIND, "default").getPort()).isEqualTo(8084);
        assertThat(config.get(Keys.SSL_VERSIONS, "default")).containsExactly("tlsv1.3", "tlsv1.2");
        assertThat(config.get(Keys.SSL_CIPHERS, "default")).isEmpty();
        assertThat(config.get(Keys.SSL_VERIFY, "default")).isEqualTo("verify_none");
        assertThat(config.get(Keys.SSL_CERTFILE, "default")).isEqualTo(Path.of("etc/certs/cert.pem"));
        assertThat(config.get(Keys.WS_MQTT_PATH, "default")).isEqualTo("/mqtt");
        assertThat(config.get(Keys.DASHBOARD_HTTP_BIND)).isEqualTo(new InetSocketAddress("127.0.0.1", 18083));
        assertThat(config.get(Keys.API_KEY_BOOTSTRAP_FILE)).isNull();
        assertThat(config.get(Keys.LOG_CONSOLE_LEVEL)).isEqualTo("warning");
        assertThat(config.names("listeners.tcp")).containsExactly("default");
        assertThat(config.file()).isEqualTo(dir.resolve("trellis.conf"));
    }

    @Test
    void readsValuesInEmqxUnitsAndWords() throws Exception {
        TrellisConfig config = load("""
                mqtt {
                  max_packet_size = 64KB
                  idle_timeout = infinity
                  session_expiry_interval = 1h30m
                  server_keepalive = 30
                  max_mqueue_len = infinity
                  keepalive_multiplier = 2
                  shared_subscription_strategy = sticky
                }
                listeners.tcp.default.bind = "[::]:1884"
                listeners.ssl.default.ssl_options.ciphers = ["TLS_AES_128_GCM_SHA256"]
                """);
        assertThat(config.get(Keys.MQTT_MAX_PACKET_SIZE)).isEqualTo(65536L);
        assertThat(config.get(Keys.MQTT_IDLE_TIMEOUT)).isEqualTo(Keys.INFINITY);
        assertThat(config.get(Keys.MQTT_SESSION_EXPIRY_INTERVAL)).isEqualTo(Duration.ofMinutes(90));
        assertThat(config.get(Keys.MQTT_SERVER_KEEPALIVE)).isEqualTo(30);
        assertThat(config.get(Keys.MQTT_MAX_MQUEUE_LEN)).isEqualTo(Keys.UNLIMITED);
        assertThat(config.get(Keys.MQTT_KEEPALIVE_MULTIPLIER)).isEqualTo(2.0);
        assertThat(config.get(Keys.MQTT_SHARED_SUBSCRIPTION_STRATEGY)).isEqualTo("sticky");
        assertThat(config.get(Keys.TCP_BIND, "default").getAddress().isAnyLocalAddress()).isTrue();
        assertThat(config.get(Keys.TCP_BIND, "default").getPort()).isEqualTo(1884);
        assertThat(config.get(Keys.SSL_CIPHERS, "default")).containsExactly("TLS_AES_128_GCM_SHA256");
        assertThat(config.describe()).containsEntry("mqtt.idle_timeout", "infinity")
                .containsEntry("mqtt.max_packet_size", "64KB")
                .containsEntry("listeners.tcp.default.bind", "[::]:1884");
    }

    @Test
    void bindAcceptsPortAloneAndIpLiteralsButNoHostNames() throws Exception {
        TrellisConfig config = load("listeners.tcp.default.bind = 1885\nlisteners.ws.default.bind = \"127.0.0.1:0\"");
        assertThat(config.get(Keys.TCP_BIND, "default")).isEqualTo(new InetSocketAddress("0.0.0.0", 1885));
        assertThat(config.get(Keys.WS_BIND, "default")).isEqualTo(new InetSocketAddress("127.0.0.1", 0));

        assertThat(problems("listeners.tcp.default.bind = \"localhost:1883\"", Map.of()))
                .singleElement().asString().contains("listeners.tcp.default.bind", "not an IP address");
        assertThat(problems("listeners.tcp.default.bind = \"0.0.0.0:70000\"", Map.of()))
                .singleElement().asString().contains("port 70000 is out of range");
    }

    @Test
    void collectsEveryProblemWithFileLineKeyAndFix() throws Exception {
        List<String> problems = problems("""
                mqtt.max_packet_size = 12XB
                mqtt.idle_timeout = 15
                mqtt.max_inflight = 0
                mqtt.retain_available = maybe
                log.console.level = loud
                """, Map.of());
        String file = dir.resolve("trellis.conf").toString();
        assertThat(problems).containsExactly(
                file + ":1: mqtt.max_packet_size: '12XB' is not a byte size (write a size from 1B to 268435455B, e.g. 1MB, 64KB, 512B or a number of bytes)",
                file + ":2: mqtt.idle_timeout: '15' has no unit (write 15s for seconds or 15ms for milliseconds)",
                file + ":3: mqtt.max_inflight: 0 is out of range (write a whole number from 1 to 65535)",
                file + ":4: mqtt.retain_available: 'maybe' is not a boolean (write true or false)",
                file + ":5: log.console.level: 'loud' is not allowed (write one of debug, info, notice, warning, error, critical, alert, emergency, none)");
    }

    @Test
    void unknownKeysGetADidYouMean() throws Exception {
        List<String> problems = problems("""
                node.cokie = abc
                mqtt.max_packet_sise = 1MB
                listeners.tcp.default.bnd = 1883
                mqtt.cookie = x
                totally.unrelated.thing = 1
                """, Map.of());
        assertThat(problems).anySatisfy(p -> assertThat(p).endsWith("node.cokie: unknown key (did you mean node.cookie?)"))
                .anySatisfy(p -> assertThat(p).endsWith("mqtt.max_packet_sise: unknown key (did you mean mqtt.max_packet_size?)"))
                .anySatisfy(p -> assertThat(p).endsWith("listeners.tcp.default.bnd: unknown key (did you mean listeners.tcp.default.bind?)"))
                .anySatisfy(p -> assertThat(p).endsWith("mqtt.cookie: unknown key (did you mean node.cookie?)"))
                .anySatisfy(p -> assertThat(p).contains("totally.unrelated.thing: unknown key (remove it"));
        assertThat(String.join("\n", problems)).doesNotContain("abc");
    }

    @Test
    void namedListenerInstancesGetDefaultsButMustBind() throws Exception {
        TrellisConfig config = load("""
                listeners.tcp.internal { bind = "127.0.0.1:11883", max_connections = 100 }
                listeners.ssl.edge.bind = "0.0.0.0:18883"
                """);
        assertThat(config.names("listeners.tcp")).containsExactly("default", "internal");
        assertThat(config.get(Keys.TCP_BIND, "internal")).isEqualTo(new InetSocketAddress("127.0.0.1", 11883));
        assertThat(config.get(Keys.TCP_MAX_CONNECTIONS, "internal")).isEqualTo(100);
        assertThat(config.get(Keys.TCP_ENABLE, "internal")).isTrue();
        assertThat(config.get(Keys.SSL_VERSIONS, "edge")).containsExactly("tlsv1.3", "tlsv1.2");
        assertThat(config.get(Keys.SSL_KEYFILE, "edge")).isEqualTo(Path.of("etc/certs/key.pem"));
        assertThat(config.describe()).containsKey("listeners.ssl.edge.ssl_options.certfile");
        assertThatThrownBy(() -> config.get(Keys.TCP_BIND, "nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("internal");
        assertThatThrownBy(() -> config.get(Keys.TCP_BIND)).hasMessageContaining("get(key, name)");

        assertThat(problems("listeners.tcp.internal { max_connections = 100 }\nlisteners.ws.other {}", Map.of()))
                .anySatisfy(p -> assertThat(p).contains(":1: listeners.tcp.internal.bind: missing"))
                .anySatisfy(p -> assertThat(p).contains(":2: listeners.ws.other.bind: missing (every listeners.ws instance"
                        + " other than default must set bind, e.g. bind = \"0.0.0.0:8083\" with a port of its own)"));
        assertThat(problems("listeners.quic.default {}\nmqtt {}\nlisteners.tcp.a { ssl_options {} }", Map.of()))
                .anySatisfy(p -> assertThat(p).contains(":1: listeners.quic.default: unknown key"))
                .anySatisfy(p -> assertThat(p).contains(":3: listeners.tcp.a.ssl_options: unknown key"))
                .noneSatisfy(p -> assertThat(p).contains("mqtt:"));
    }

    @Test
    void twoListenersOnOnePortIsAProblemNamingBoth() throws Exception {
        assertThat(problems("listeners.tcp.internal.bind = \"127.0.0.1:1883\"", Map.of())).singleElement().asString()
                .contains(":1: listeners.tcp.internal.bind: 127.0.0.1:1883 takes the same port as listeners.tcp.default.bind = 0.0.0.0:1883");
        assertThat(problems("listeners.ws.default.bind = \"0.0.0.0:8883\"", Map.of())).singleElement().asString()
                .contains("listeners.ws.default.bind", "listeners.ssl.default.bind");
        // Different addresses, or one listener disabled: fine.
        load("listeners.tcp.a.bind = \"127.0.0.1:2000\"\nlisteners.tcp.b.bind = \"127.0.0.2:2000\"");
        load("listeners.ws.default.bind = \"0.0.0.0:8883\"\nlisteners.ssl.default.enable = false");
    }

    @Test
    void environmentOverridesMapToKeys() throws Exception {
        Path file = write("trellis.conf", "node.name = \"a@h\"\nlisteners.ssl.default.enable = true");
        TrellisConfig config = TrellisConfig.load(file, Map.of(
                "TRELLIS_NODE__NAME", "trellis1@10.0.0.1",
                "TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "false",
                "TRELLIS_MQTT__MAX_PACKET_SIZE", "2mb",
                "TRELLIS_LISTENERS__TCP__INTERNAL__BIND", "127.0.0.1:11883",
                "TRELLIS_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERSIONS", "[tlsv1.3]",
                "TRELLIS_LISTENERS__WS__EXTRA", "{bind = \"127.0.0.1:18084\", enable = false}",
                "TRELLIS_HOME", "/opt/trellis",
                "PATH", "/usr/bin"));
        assertThat(config.get(Keys.NODE_NAME)).isEqualTo("trellis1@10.0.0.1");
        assertThat(config.get(Keys.SSL_ENABLE, "default")).isFalse();
        assertThat(config.get(Keys.MQTT_MAX_PACKET_SIZE)).isEqualTo(2L * 1024 * 1024);
        assertThat(config.get(Keys.TCP_BIND, "internal")).isEqualTo(new InetSocketAddress("127.0.0.1", 11883));
        assertThat(config.get(Keys.SSL_VERSIONS, "default")).containsExactly("tlsv1.3");
        assertThat(config.get(Keys.WS_ENABLE, "extra")).isFalse();
        assertThat(config.get(Keys.WS_BIND, "extra")).isEqualTo(new InetSocketAddress("127.0.0.1", 18084));
        assertThat(config.names("listeners.ws")).containsExactly("default", "extra");
        assertThat(EnvOverrides.pathOf("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE")).isEqualTo("listeners.ssl.default.enable");
        assertThat(Keys.TCP_BIND.envName()).isEqualTo("TRELLIS_LISTENERS__TCP__{NAME}__BIND");
        assertThat(Keys.NODE_COOKIE.envName()).isEqualTo("TRELLIS_NODE__COOKIE");
    }

    @Test
    void badEnvironmentOverridesNameTheVariable() throws Exception {
        assertThat(problems("", Map.of("TRELLIS_NODE__NAM", "x@y", "TRELLIS_MQTT__MAX_INFLIGHT", "lots")))
                .containsExactlyInAnyOrder(
                        "env TRELLIS_MQTT__MAX_INFLIGHT: mqtt.max_inflight: 'lots' is not a whole number (write a whole number from 1 to 65535)",
                        "env TRELLIS_NODE__NAM: node.nam: unknown key (did you mean node.name?)");
    }

    @Test
    void substitutionsResolveAgainstTheFileAndTheGivenEnvironment() throws Exception {
        Path file = write("trellis.conf", """
                node.name = ${NODE_NAME}
                listeners.tcp.default.max_connections = 500
                listeners.ws.default.max_connections = ${listeners.tcp.default.max_connections}
                mqtt.max_inflight = ${?NOT_SET}
                """);
        TrellisConfig config = TrellisConfig.load(file, Map.of("NODE_NAME", "trellis@10.1.1.1"));
        assertThat(config.get(Keys.NODE_NAME)).isEqualTo("trellis@10.1.1.1");
        assertThat(config.get(Keys.WS_MAX_CONNECTIONS, "default")).isEqualTo(500);
        assertThat(config.get(Keys.MQTT_MAX_INFLIGHT)).isEqualTo(32);

        assertThat(problems("mqtt.max_inflight = 5\nnode.name = ${NODE_NAME}\n", Map.of())).singleElement().asString()
                .startsWith(file + ":2: unresolved substitution: ").contains("NODE_NAME");
    }

    @Test
    void cookieIsValidatedAndNeverPrinted() throws Exception {
        TrellisConfig config = load("node.cookie = \"" + COOKIE + "\"");
        assertThat(config.get(Keys.NODE_COOKIE).reveal()).isEqualTo(COOKIE);
        assertThat(config.describe()).containsEntry("node.cookie", "******");
        assertThat(config.describe().toString()).doesNotContain(COOKIE);

        String bad = "with space " + COOKIE;
        List<String> problems = problems("node.cookie = \"" + bad + "\"\nmqtt.max_inflight = 0", Map.of());
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("node.cookie: the cookie contains a quote, a backslash or whitespace"));
        assertThat(String.join("\n", problems)).doesNotContain(COOKIE);

        assertThat(problems("node.cookie = \"\"", Map.of())).singleElement().asString().contains("the cookie is empty");
        assertThat(problems("node.cookie = \"" + "a".repeat(256) + "\"", Map.of())).singleElement().asString()
                .contains("longer than 255 bytes").doesNotContain("aaaa");
        assertThat(problems("", Map.of("TRELLIS_NODE__COOKIE", "back\\slash" + COOKIE))).singleElement().asString()
                .startsWith("env TRELLIS_NODE__COOKIE: node.cookie:").doesNotContain(COOKIE);
        assertThat(load("node.cookie = \"" + "a".repeat(255) + "\"").get(Keys.NODE_COOKIE).reveal()).hasSize(255);
    }

    @Test
    void cookieFromFileIsReadOnceWithoutTrailingNewline() throws Exception {
        Path cookieFile = write("cookie", COOKIE + "\n");
        TrellisConfig config = TrellisConfig.load(write("trellis.conf", ""),
                Map.of("TRELLIS_NODE__COOKIE", "file://" + cookieFile.toAbsolutePath()));
        assertThat(config.get(Keys.NODE_COOKIE).reveal()).isEqualTo(COOKIE);
        assertThat(TrellisConfig.load(write("t2.conf", ""), Map.of("TRELLIS_NODE__COOKIE", "a#b//c", "TRELLIS_NODE__NAME", "\"n@h\""))
                .get(Keys.NODE_COOKIE).reveal()).isEqualTo("a#b//c");
        Files.delete(cookieFile);
        assertThat(config.get(Keys.NODE_COOKIE).reveal()).isEqualTo(COOKIE);

        assertThat(problems("node.cookie = \"file://" + cookieFile.toAbsolutePath() + "\"", Map.of()))
                .singleElement().asString().contains("node.cookie: file " + cookieFile.toAbsolutePath() + " does not exist");
        Path badFile = write("bad-cookie", "two words " + COOKIE + "\n");
        assertThat(problems("node.cookie = \"file://" + badFile.toAbsolutePath() + "\"", Map.of()))
                .singleElement().asString().contains("whitespace").doesNotContain(COOKIE);
    }

    @Test
    void secretsNeverReachProblemsEvenOnSyntaxErrors() throws Exception {
        List<String> problems = problems("node.cookie = \"" + COOKIE + "\"\nlisteners.ssl.default.ssl_options.password = [\"" + COOKIE + "\"]", Map.of());
        assertThat(problems).singleElement().asString().contains("password").doesNotContain(COOKIE);
        String syntax = String.join("\n", problems("node.cookie = \"" + COOKIE + "\" }\n", Map.of()));
        assertThat(syntax).doesNotContain(COOKIE);
    }

    @Test
    void hoconSyntaxErrorNamesFileAndLine() throws Exception {
        List<String> problems = problems("node.name = \"a@b\"\nmqtt {\n  max_inflight = 10\n  = oops\n}\n", Map.of());
        assertThat(problems).singleElement().asString()
                .startsWith(dir.resolve("trellis.conf") + ":4: syntax error: ");
    }

    @Test
    void missingFileIsAClearError() {
        Path missing = dir.resolve("nope.conf");
        assertThatThrownBy(() -> TrellisConfig.load(missing, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": configuration file not found (create it, e.g. from the example etc/trellis.conf, or give the right path)");
    }

    @Test
    void nodeNameMustBeNameAtHost() throws Exception {
        assertThat(problems("node.name = trellis", Map.of())).singleElement().asString()
                .contains("node.name: 'trellis' is not name@host");
        assertThat(problems("node.name = \"tr ellis@h\"", Map.of())).hasSize(1);
        assertThat(load("node.name = \"trellis-1@10.0.0.2\"").get(Keys.NODE_NAME)).isEqualTo("trellis-1@10.0.0.2");
    }

    @Test
    void keyDefaultsAreValidAndDocumented() {
        assertThat(Keys.all()).hasSizeGreaterThan(60).allSatisfy(key -> {
            assertThat(key.doc()).as(key.path()).isNotBlank();
            assertThat(key.path()).matches("[a-z_]+(\\.([a-z_0-9]+|\\{name\\}))*"); // EMQX has top-level keys: authentication
        });
        assertThat(Keys.all()).extracting(KeyDef::path).doesNotHaveDuplicates();
        assertThat(TrellisConfig.defaults().describe()).containsEntry("node.cookie", "(not set)");
    }
}

package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * mqtt.js (npm package mqtt, pinned in mqtt/src/test/js/package.json) run by node: interop.mjs
 * subscribes, publishes (QoS 1, user property on MQTT 5), checks a retained message and prints
 * one JSON line, which this test reads.
 */
class MqttJsInteropTest {
    private static final Path JS_DIR = locateJsDir();
    private static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @ParameterizedTest(name = "{0} protocol {1}")
    @CsvSource({"TCP,4", "TCP,5", "WS,4", "WS,5", "SSL,5", "WSS,5"})
    void mqttJsRoundTripAndRetained(Type transport, int protocolVersion) {
        Path node = ExternalTools.requireNodeModules(JS_DIR, "mqtt");
        String prefix = Ids.topic("mqttjs-" + transport.id() + "-v" + protocolVersion);
        String output = ExternalProcess.runOk(List.of(node.toString(), "interop.mjs",
                broker.mqttJsUrl(transport), Integer.toString(protocolVersion), prefix,
                broker.certificates().caFile.toString()), JS_DIR, Duration.ofSeconds(20)).strip();

        String lastLine = output.substring(output.lastIndexOf('\n') + 1);
        assertThat(lastLine).startsWith("{\"ok\":true");
        assertThat(lastLine).contains("\"topic\":\"" + prefix + "/live\"", "\"payload\":\"hello from mqtt.js\"",
                "\"qos\":1");
        assertThat(lastLine).contains("\"payload\":\"retained from mqtt.js\"", "\"retain\":true");
        if (protocolVersion == 5) {
            assertThat(lastLine).contains("\"userProperties\":{\"origin\":\"mqtt.js\"}");
        }
    }

    /** mqtt/src/test/js whether surefire runs from the repository root or from the module. */
    private static Path locateJsDir() {
        for (Path candidate : List.of(Path.of("src/test/js"), Path.of("mqtt/src/test/js"))) {
            if (Files.isRegularFile(candidate.resolve("interop.mjs"))) {
                return candidate.toAbsolutePath();
            }
        }
        return Path.of("src/test/js").toAbsolutePath();
    }
}

package io.trellis.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.RuleBody;
import io.trellis.rules.connector.ConnectorStatus.State;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT bridge against a real mosquitto process. Skipped when mosquitto is not installed,
 * except under CI=true (CI installs it: {@code apt-get install -y mosquitto}), where it fails.
 */
class MosquittoBridgeTest {

    @TempDir
    Path dir;

    private static String mosquitto() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String candidate : new String[] {d + "/mosquitto"}) {
                if (new File(candidate).canExecute()) return candidate;
            }
        }
        for (String candidate : new String[] {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"}) {
            if (new File(candidate).canExecute()) return candidate;
        }
        return null;
    }

    @Test
    void bridgesToARealMosquitto() throws Exception {
        String exe = mosquitto();
        if (exe == null) {
            if ("true".equals(System.getenv("CI"))) fail("mosquitto is not installed; CI must run apt-get install -y mosquitto");
            Assumptions.abort("mosquitto is not installed");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        Process broker = new ProcessBuilder(exe, "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        MqttClient subscriber = null;
        try (RuleEngine engine = RuleEngine.builder()
                .ssrfPolicy(new SsrfPolicyHolder(SsrfPolicy.builder().enable(true).allowCidrs(List.of("127.0.0.1/32")).build()))
                .build()) {
            await().atMost(20, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return true;
                }
            });
            subscriber = new MqttClient("tcp://127.0.0.1:" + port, "trellis-test-sub", new MemoryPersistence());
            MqttConnectOptions opts = new MqttConnectOptions();
            opts.setCleanSession(true);
            subscriber.connect(opts);
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            subscriber.subscribe("fwd/#", 1, (topic, m) -> received.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8)));

            engine.createConnector(new ConnectorBody("mqtt", "mosq", null, null, null, null, null, "5s", null,
                    "127.0.0.1:" + port, null, null, null, null, null));
            await().atMost(20, TimeUnit.SECONDS).until(() -> engine.connector("mqtt:mosq").status().state() == State.CONNECTED);
            engine.createAction(new ActionBody("mqtt", "fwd", "mosq", null, null,
                    new ActionBody.Parameters(null, null, null, null, "fwd/${clientid}", 1, false, null), null));
            engine.createRule(new RuleBody("r1", null, "SELECT payload.v as v, clientid FROM \"t/#\"", List.of("mqtt:fwd"), null, null));

            engine.onMessagePublished(new RuleInput("", "t/1", "{\"v\": 1}".getBytes(StandardCharsets.UTF_8), 0, false, "dev9",
                    null, null, 1L, Map.of()));

            String got = received.poll(20, TimeUnit.SECONDS);
            assertThat(got).isNotNull();
            assertThat(got).startsWith("fwd/dev9 ");
            assertThat(got.substring("fwd/dev9 ".length())).isIn("{\"v\":1,\"clientid\":\"dev9\"}", "{\"clientid\":\"dev9\",\"v\":1}");
        } finally {
            if (subscriber != null && subscriber.isConnected()) subscriber.disconnect();
            if (subscriber != null) subscriber.close();
            broker.destroy();
            broker.waitFor(10, TimeUnit.SECONDS);
        }
    }
}

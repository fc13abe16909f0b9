package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** mosquitto_pub and mosquitto_sub (Debian mosquitto-clients) as separate processes against Trellis. */
class MosquittoClientsInteropTest {
    private static final Duration LIMIT = Duration.ofSeconds(15);
    private static final String FORMAT = "%t|%q|%r|%P|%p";
    private static TestBroker broker;
    private Path pub;
    private Path sub;

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

    @BeforeEach
    void requireTools() {
        pub = ExternalTools.require("mosquitto_pub");
        sub = ExternalTools.require("mosquitto_sub");
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void qos1MessageFromMosquittoPubReachesMosquittoSub(String version) {
        String topic = Ids.topic("mosq-" + version);
        String subscriberId = Ids.client("mosqsub");
        try (ExternalProcess subscriber = ExternalProcess.start(command(sub, Type.TCP, version,
                "-i", subscriberId, "-t", topic, "-q", "1", "-C", "1", "-W", "10", "-F", FORMAT))) {
            awaitSubscribed(subscriberId, topic, subscriber);
            List<String> publish = command(pub, Type.TCP, version, "-i", Ids.client("mosqpub"), "-t", topic,
                    "-q", "1", "-m", "hello from mosquitto");
            if (version.equals("mqttv5")) {
                publish.addAll(List.of("-D", "publish", "user-property", "origin", "mosquitto_pub"));
            }
            ExternalProcess.runOk(publish, LIMIT);

            String expectedProperties = version.equals("mqttv5") ? "origin:mosquitto_pub" : "";
            assertThat(subscriber.awaitOk(LIMIT).strip())
                    .isEqualTo(topic + "|1|0|" + expectedProperties + "|hello from mosquitto");
        }
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void retainedMessageIsDeliveredToALateSubscriberAndDeletedByAnEmptyRetain(String version) {
        String topic = Ids.topic("mosq-retained");
        String marker = topic + "/marker";
        ExternalProcess.runOk(command(pub, Type.TCP, version, "-t", topic, "-q", "1", "-r", "-m", "kept"), LIMIT);

        String late = ExternalProcess.runOk(command(sub, Type.TCP, version, "-t", topic, "-q", "1", "-C", "1",
                "-W", "10", "-F", FORMAT), LIMIT);
        assertThat(late.strip()).isEqualTo(topic + "|1|1||kept");

        ExternalProcess.runOk(command(pub, Type.TCP, version, "-t", topic, "-q", "1", "-r", "-n"), LIMIT);
        String subscriberId = Ids.client("mosqsub");
        try (ExternalProcess subscriber = ExternalProcess.start(command(sub, Type.TCP, version, "-i", subscriberId,
                "-t", topic, "-t", marker, "-q", "1", "-C", "1", "-W", "10", "-F", FORMAT))) {
            awaitSubscribed(subscriberId, marker, subscriber);
            ExternalProcess.runOk(command(pub, Type.TCP, version, "-t", marker, "-q", "1", "-m", "marker"), LIMIT);
            assertThat(subscriber.awaitOk(LIMIT).strip()).as("first message after the retained one was deleted")
                    .isEqualTo(marker + "|1|0||marker");
        }
    }

    @ParameterizedTest(name = "-V {0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void tlsWithTheTestCa(String version) {
        String topic = Ids.topic("mosq-tls");
        ExternalProcess.runOk(command(pub, Type.SSL, version, "-t", topic, "-q", "1", "-r", "-m", "over tls"), LIMIT);
        String got = ExternalProcess.runOk(command(sub, Type.SSL, version, "-t", topic, "-q", "1", "-C", "1",
                "-W", "10", "-F", FORMAT), LIMIT);
        assertThat(got.strip()).isEqualTo(topic + "|1|1||over tls");
        ExternalProcess.runOk(command(pub, Type.SSL, version, "-t", topic, "-q", "1", "-r", "-n"), LIMIT);
    }

    /** Publishing before the subscription exists would lose the message, so wait for it. */
    private static void awaitSubscribed(String clientId, String topic, ExternalProcess subscriber) {
        try {
            broker.awaitSubscribed(clientId, topic);
        } catch (RuntimeException notSubscribed) {
            subscriber.awaitOk(Duration.ZERO); // fails with the tool's own output if it already gave up
            throw notSubscribed;
        }
    }

    private static List<String> command(Path tool, Type transport, String version, String... args) {
        List<String> command = new ArrayList<>(List.of(tool.toString(), "-V", version,
                "-h", transport.tls() ? "localhost" : "127.0.0.1", "-p", Integer.toString(broker.port(transport))));
        if (transport.tls()) {
            command.addAll(List.of("--cafile", broker.certificates().caFile.toString()));
        }
        command.addAll(List.of(args));
        return command;
    }
}

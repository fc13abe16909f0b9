package io.trellis.mqtt.it;

import static io.trellis.mqtt.it.RawMqttClient.CONNACK;
import static io.trellis.mqtt.it.RawMqttClient.DISCONNECT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.trellis.mqtt.it.RawMqttClient.Packet;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Broken and hostile clients on raw sockets. Each test checks what the broker does to the bad
 * client (spec: close, MQTT 5: DISCONNECT with a reason first) and then that a good client still
 * gets service, so one bad connection never harms the others.
 */
class RawSocketRobustnessTest {
    private static final int MAX_PACKET_SIZE = 64 * 1024;
    private static final long MAX_SEND_QUEUE_BYTES = 256 * 1024;
    private static TestBroker broker;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(Settings.defaultsWith(Map.of(
                "idleTimeout", Duration.ofSeconds(1),
                "maxPacketSize", MAX_PACKET_SIZE,
                "maxSendQueueBytes", MAX_SEND_QUEUE_BYTES)));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void goodClientStillWorks() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
        String topic = Ids.topic("good");
        try (RawMqttClient subscriber = raw(4); RawMqttClient publisher = raw(4)) {
            assertThat(subscriber.connect(Ids.client("good-sub"), true, null).reasonCodeOrZero()).isZero();
            assertThat(subscriber.subscribeAndAwait(1, topic, 1, null)).containsExactly(1);
            assertThat(publisher.connect(Ids.client("good-pub"), true, null).reasonCodeOrZero()).isZero();
            publisher.publish(topic, 0, 0, null, "still served");
            RawMqttClient.Publish got = subscriber.decodePublish(subscriber.read());
            assertThat(got.topic()).isEqualTo(topic);
            assertThat(got.text()).isEqualTo("still served");
        }
    }

    @Test
    void garbageInsteadOfConnectIsClosedWithoutConnack() throws IOException {
        try (RawMqttClient client = raw(4)) {
            client.send(HexFormat.of().parseHex("ffffffff7f00deadbeef0102030405060708090a"));
            assertThat(client.awaitClosed()).extracting(Packet::type).doesNotContain(CONNACK);
        }
    }

    @Test
    void httpRequestOnTheMqttPortIsClosed() throws IOException {
        try (RawMqttClient client = raw(4)) {
            client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.awaitClosed()).extracting(Packet::type).doesNotContain(CONNACK);
        }
    }

    @Test
    void publishBeforeConnectIsClosed() throws IOException {
        try (RawMqttClient client = raw(4)) {
            client.publish(Ids.topic("early"), 0, 0, null, "too early");
            assertThat(client.awaitClosed()).extracting(Packet::type).doesNotContain(CONNACK);
        }
    }

    /** EMQX's mqtt.idle_timeout; mosquitto has no such bound, so this fails in reference mode. */
    @Test
    void connectionThatNeverSendsConnectIsClosedAfterTheIdleTimeout() throws IOException {
        try (RawMqttClient client = raw(4)) {
            assertThat(client.awaitClosed()).isEmpty();
        }
    }

    @Test
    void unsupportedProtocolLevelIsRefused() throws IOException {
        try (RawMqttClient client = raw(4)) {
            byte[] connect = client.connectPacket(Ids.client("level7"), true, 30, null);
            connect[8] = 7; // fixed header (2) + "MQTT" (6) -> protocol level byte
            client.send(connect);
            List<Packet> seen = client.awaitClosed();
            assertThat(seen).allSatisfy(p -> {
                assertThat(p.type()).isEqualTo(CONNACK);
                assertThat(p.reasonCodeOrZero()).as("unacceptable protocol version").isIn(0x01, 0x84);
            });
        }
    }

    @Test
    void connackAdvertisesTheMaximumPacketSize() throws IOException {
        try (RawMqttClient client = raw(5)) {
            Packet connack = client.connect(Ids.client("limits"), true, null);
            assertThat(connack.reasonCodeOrZero()).isZero();
            assertThat(RawMqttClient.first(RawMqttClient.connackProperties(connack),
                    RawMqttClient.MAXIMUM_PACKET_SIZE)).contains((long) MAX_PACKET_SIZE);
        }
    }

    @Test
    void oversizedPacketGetsDisconnectPacketTooLargeInMqtt5() throws IOException {
        try (RawMqttClient client = raw(5)) {
            client.connect(Ids.client("oversized5"), true, null);
            sendIgnoringReset(client, client.publishPacket(bytes(Ids.topic("big")), 1, false, 1, null,
                    new byte[MAX_PACKET_SIZE + 1024]));
            List<Packet> seen = client.awaitClosed();
            assertThat(seen).as("DISCONNECT 0x95 packet too large before the close")
                    .singleElement().satisfies(p -> {
                        assertThat(p.type()).isEqualTo(DISCONNECT);
                        assertThat(p.reasonCodeOrZero()).isEqualTo(0x95);
                    });
        }
    }

    @Test
    void oversizedPacketClosesAnMqtt311Connection() throws IOException {
        try (RawMqttClient client = raw(4)) {
            client.connect(Ids.client("oversized4"), true, null);
            sendIgnoringReset(client, client.publishPacket(bytes(Ids.topic("big")), 0, false, 0, null,
                    new byte[MAX_PACKET_SIZE + 1024]));
            assertThat(client.awaitClosed()).isEmpty();
        }
    }

    /** Ill-formed UTF-8 (MQTT 1.5.4): broken sequence, overlong NUL, U+0000, a UTF-16 surrogate. */
    @ParameterizedTest(name = "topic bytes {0}")
    @ValueSource(strings = {"61c328", "61c080", "610062", "61eda080"})
    void invalidUtf8InPublishTopicClosesTheConnection(String topicHex) throws IOException {
        byte[] topic = HexFormat.of().parseHex(topicHex);
        try (RawMqttClient v4 = raw(4)) {
            v4.connect(Ids.client("utf8v4"), true, null);
            v4.send(v4.publishPacket(topic, 0, false, 0, null, bytes("x")));
            assertThat(v4.awaitClosed()).isEmpty();
        }
        try (RawMqttClient v5 = raw(5)) {
            v5.connect(Ids.client("utf8v5"), true, null);
            v5.send(v5.publishPacket(topic, 1, false, 1, null, bytes("x")));
            assertOnlyFailureDisconnect(v5.awaitClosed(), 0x81);
        }
    }

    @ParameterizedTest(name = "topic {0}")
    @ValueSource(strings = {"a/+/b", "a/#", "#", "+"})
    void wildcardInPublishTopicClosesTheConnection(String topic) throws IOException {
        try (RawMqttClient v4 = raw(4)) {
            v4.connect(Ids.client("wildv4"), true, null);
            v4.publish(topic, 0, 0, null, "x");
            assertThat(v4.awaitClosed()).isEmpty();
        }
        try (RawMqttClient v5 = raw(5)) {
            v5.connect(Ids.client("wildv5"), true, null);
            v5.publish(topic, 1, 1, null, "x");
            assertOnlyFailureDisconnect(v5.awaitClosed(), 0x90, 0x81, 0x82);
        }
    }

    @Test
    void secondConnectIsAProtocolError() throws IOException {
        try (RawMqttClient v4 = raw(4)) {
            String id = Ids.client("twice4");
            v4.connect(id, true, null);
            v4.send(v4.connectPacket(id, true, 30, null));
            assertThat(v4.awaitClosed()).isEmpty();
        }
        try (RawMqttClient v5 = raw(5)) {
            String id = Ids.client("twice5");
            v5.connect(id, true, null);
            v5.send(v5.connectPacket(id, true, 30, null));
            assertOnlyFailureDisconnect(v5.awaitClosed(), 0x82);
        }
    }

    @Test
    void subscribeWithReservedFlagsIsMalformed() throws IOException {
        try (RawMqttClient v4 = raw(4)) {
            v4.connect(Ids.client("subflags"), true, null);
            // SUBSCRIBE must have fixed-header flags 0010 (MQTT-3.8.1-1); 0000 is malformed
            v4.send(RawMqttClient.packet(RawMqttClient.SUBSCRIBE << 4,
                    new RawMqttClient.Bytes().u16(1).string(Ids.topic("flags")).u8(0)));
            assertThat(v4.awaitClosed()).isEmpty();
        }
    }

    @Test
    void slowSubscriberIsCutOrDroppedWhileAHealthySubscriberGetsEverything() throws Exception {
        String topic = Ids.topic("flood");
        int messages = 1000;
        byte[] payload = new byte[16 * 1024]; // 16 MB in total, far above the 256 KB send queue bound

        String slowId = Ids.client("slow");
        RawMqttClient slow = RawMqttClient.open(broker.port(Type.TCP), 4, 4096);
        opened.add(slow);
        slow.connect(slowId, true, null);
        assertThat(slow.subscribeAndAwait(1, topic, 0, null)).containsExactly(0);
        // from here on the slow client never reads again

        AtomicInteger healthyReceived = new AtomicInteger();
        Mqtt5AsyncClient healthy = hive(Ids.client("healthy"));
        healthy.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                .callback(publish -> healthyReceived.incrementAndGet())
                .send().get(10, TimeUnit.SECONDS);
        long droppedBefore = broker.isTrellis() ? broker.admin().metrics().getOrDefault("messages.dropped", 0L) : 0;

        Mqtt5AsyncClient publisher = hive(Ids.client("flooder"));
        List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            sent.add(publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send());
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(30)).until(() -> healthyReceived.get() >= messages);
        assertThat(healthyReceived.get()).isEqualTo(messages);
        if (!broker.isTrellis()) {
            return; // the reference broker has no admin API to ask
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                broker.admin().client(slowId).map(c -> !c.connected() || c.mqueueDropped() > 0).orElse(true)
                        || broker.admin().metrics().getOrDefault("messages.dropped", 0L) > droppedBefore)
                .as("the slow client is disconnected or its QoS 0 messages are dropped").isTrue());
        publisher.disconnect().get(10, TimeUnit.SECONDS);
        healthy.disconnect().get(10, TimeUnit.SECONDS);
    }

    private Mqtt5AsyncClient hive(String id) throws Exception {
        Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(id)
                .serverHost("127.0.0.1").serverPort(broker.port(Type.TCP)).buildAsync();
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }

    private static void assertOnlyFailureDisconnect(List<Packet> seen, Integer... allowedReasons) {
        assertThat(seen).as("at most a DISCONNECT before the close").hasSizeLessThanOrEqualTo(1)
                .allSatisfy(p -> {
                    assertThat(p.type()).isEqualTo(DISCONNECT);
                    assertThat(p.reasonCodeOrZero()).isIn((Object[]) allowedReasons);
                });
    }

    /** The broker may close while a big packet is still being written: that is the expected outcome. */
    private static void sendIgnoringReset(RawMqttClient client, byte[] packet) {
        try {
            client.send(packet);
        } catch (IOException closedMidWrite) {
            // the broker saw the length and cut the connection before reading the rest
        }
    }

    private static RawMqttClient raw(int version) {
        return RawMqttClient.open(broker.port(Type.TCP), version);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

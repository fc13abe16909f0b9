package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** HiveMQ MQTT client (its MQTT 5 and 3 blocking and async APIs) against Trellis. */
class HiveMqInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestBroker broker;
    private final List<Runnable> cleanups = new ArrayList<>();

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

    @AfterEach
    void disconnectClients() {
        for (Runnable cleanup : cleanups) {
            try {
                cleanup.run();
            } catch (RuntimeException ignored) {
                // already disconnected by the broker or by the test
            }
        }
    }

    static Stream<Arguments> transportsAndQos() {
        // every transport at QoS 1, the other QoS levels over tcp: keeps the class fast
        return Stream.concat(Stream.of(Type.values()).map(type -> Arguments.of(type, MqttQos.AT_LEAST_ONCE)),
                Stream.of(MqttQos.AT_MOST_ONCE, MqttQos.EXACTLY_ONCE).map(qos -> Arguments.of(Type.TCP, qos)));
    }

    @ParameterizedTest(name = "mqtt5 {0} {1}")
    @MethodSource("transportsAndQos")
    void mqtt5BlockingRoundTrip(Type transport, MqttQos qos) throws Exception {
        String topic = Ids.topic("hive5");
        Mqtt5BlockingClient subscriber = v5(transport, Ids.client("hive5sub"));
        subscriber.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            assertThat(subscriber.subscribeWith().topicFilter(topic).qos(qos).send().getReasonCodes())
                    .extracting(Mqtt5SubAckReasonCode::getCode).containsExactly(qos.getCode());
            Mqtt5BlockingClient publisher = v5(transport, Ids.client("hive5pub"));
            publisher.connect();
            publisher.publishWith().topic(topic).qos(qos).payload(bytes("hello " + transport.id()))
                    .userProperties().add("via", "hivemq").applyUserProperties().send();

            Optional<Mqtt5Publish> got = publishes.receive(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got).as("message within %s", WAIT).isPresent();
            assertThat(text(got.get().getPayloadAsBytes())).isEqualTo("hello " + transport.id());
            assertThat(got.get().getQos()).isEqualTo(qos);
            assertThat(got.get().getUserProperties().asList()).singleElement()
                    .satisfies(p -> assertThat(p.getName() + "=" + p.getValue()).isEqualTo("via=hivemq"));
        }
    }

    @ParameterizedTest(name = "mqtt3 {0}")
    @MethodSource("transports")
    void mqtt3BlockingRoundTrip(Type transport) throws Exception {
        String topic = Ids.topic("hive3");
        Mqtt3BlockingClient subscriber = v3(transport, Ids.client("hive3sub"));
        subscriber.connect();
        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send();
            Mqtt3BlockingClient publisher = v3(transport, Ids.client("hive3pub"));
            publisher.connect();
            publisher.publishWith().topic(topic).qos(MqttQos.EXACTLY_ONCE).payload(bytes("three")).send();

            Optional<Mqtt3Publish> got = publishes.receive(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(text(got.get().getPayloadAsBytes())).isEqualTo("three");
            assertThat(got.get().getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
        }
    }

    /** Big enough for WebSocket fragmentation and several TLS records, below the 1 MB packet limit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void largeMessageArrivesIntact(Type transport) throws Exception {
        String topic = Ids.topic("hivelarge");
        byte[] payload = new byte[700 * 1024];
        new java.util.Random(42).nextBytes(payload);
        Mqtt5BlockingClient subscriber = v5(transport, Ids.client("hivelargesub"));
        subscriber.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
            Mqtt5BlockingClient publisher = v5(transport, Ids.client("hivelargepub"));
            publisher.connect();
            publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
            Optional<Mqtt5Publish> got = publishes.receive(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(got.get().getPayloadAsBytes()).isEqualTo(payload);
        }
    }

    @Test
    void sharedSubscriptionMemberThatLeavesGetsNoMoreAndTheOthersGetEverything() throws Exception {
        String topic = Ids.topic("hive5shared");
        String filter = "$share/" + Ids.client("g") + "/" + topic;
        List<String> stayed = new CopyOnWriteArrayList<>();
        Mqtt5AsyncClient staying = v5(Type.TCP, Ids.client("hive5stay")).toAsync();
        staying.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        staying.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                .callback(publish -> stayed.add(text(publish.getPayloadAsBytes())))
                .send().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        Mqtt5BlockingClient leaving = v5(Type.TCP, Ids.client("hive5leave"));
        leaving.connect();
        leaving.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
        leaving.unsubscribeWith().topicFilter(filter).send();

        Mqtt5BlockingClient publisher = v5(Type.TCP, Ids.client("hive5sharedpub"));
        publisher.connect();
        for (int i = 0; i < 20; i++) {
            publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("s" + i)).send();
        }
        await().atMost(WAIT).until(() -> stayed.size() >= 20);
        assertThat(stayed).hasSize(20).doesNotHaveDuplicates();
    }

    static Stream<Type> transports() {
        return Stream.of(Type.values());
    }

    @Test
    void mqtt5AsyncClientPublishesAndReceivesInOrder() throws Exception {
        String topic = Ids.topic("hiveasync");
        List<String> received = new CopyOnWriteArrayList<>();
        Mqtt5AsyncClient subscriber = v5(Type.TCP, Ids.client("hiveasyncsub")).toAsync();
        subscriber.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE)
                .callback(publish -> received.add(text(publish.getPayloadAsBytes())))
                .send().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        Mqtt5AsyncClient publisher = v5(Type.WS, Ids.client("hiveasyncpub")).toAsync();
        publisher.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        List<java.util.concurrent.CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("n" + i)).send());
        }
        for (var future : sent) {
            assertThat(future.get(WAIT.toSeconds(), TimeUnit.SECONDS).getError()).isEmpty();
        }

        await().atMost(WAIT).until(() -> received.size() >= 50);
        assertThat(received).as("per-publisher order on one topic")
                .containsExactlyElementsOf(Stream.iterate(0, i -> i + 1).limit(50).map(i -> "n" + i).toList());
    }

    @Test
    void emptyClientIdentifierGetsAnAssignedOne() {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5()
                .serverHost("127.0.0.1").serverPort(broker.port(Type.TCP)).buildBlocking();
        cleanups.add(client::disconnect);
        Mqtt5ConnAck ack = client.connect();
        assertThat(ack.getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.SUCCESS);
        assertThat(ack.getAssignedClientIdentifier()).as("assigned client identifier in CONNACK").isPresent();
        String assigned = ack.getAssignedClientIdentifier().get().toString();
        assertThat(assigned).isNotBlank();
        if (broker.isTrellis()) {
            assertThat(broker.admin().client(assigned)).isPresent();
        }
    }

    @Test
    void mqtt3PersistentSessionGetsQueuedMessagesAfterReconnect() throws Exception {
        String topic = Ids.topic("hive3offline");
        String id = Ids.client("hive3persistent");
        Mqtt3BlockingClient subscriber = v3(Type.TCP, id);
        subscriber.connectWith().cleanSession(false).send();
        subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
        subscriber.disconnect();
        broker.awaitOffline(id);

        Mqtt3BlockingClient publisher = v3(Type.TCP, Ids.client("hive3pub"));
        publisher.connect();
        publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("while away")).send();

        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            assertThat(subscriber.connectWith().cleanSession(false).send().isSessionPresent()).isTrue();
            Optional<Mqtt3Publish> got = publishes.receive(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(text(got.get().getPayloadAsBytes())).isEqualTo("while away");
        }
    }

    @Test
    void mqtt3SharedSubscriptionDeliversEachMessageOnce() throws Exception {
        String topic = Ids.topic("hive3shared");
        String filter = "$share/" + Ids.client("g") + "/" + topic;
        List<String> received = new CopyOnWriteArrayList<>();
        for (int member = 0; member < 3; member++) {
            var client = v3(Type.TCP, Ids.client("hive3member")).toAsync();
            client.connect().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).callback(publish -> {
                received.add(text(publish.getPayloadAsBytes()));
            }).send().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        Mqtt3BlockingClient publisher = v3(Type.TCP, Ids.client("hive3pub"));
        publisher.connect();
        for (int i = 0; i < 30; i++) {
            publisher.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("s" + i)).send();
        }

        await().atMost(WAIT).until(() -> received.size() >= 30);
        assertThat(received).hasSize(30).doesNotHaveDuplicates();
    }

    private Mqtt5BlockingClient v5(Type transport, String id) {
        Mqtt5BlockingClient client = builder(transport, id).useMqttVersion5().buildBlocking();
        cleanups.add(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    private Mqtt3BlockingClient v3(Type transport, String id) {
        Mqtt3BlockingClient client = builder(transport, id).useMqttVersion3().buildBlocking();
        cleanups.add(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    private static MqttClientBuilder builder(Type transport, String id) {
        MqttClientBuilder builder = MqttClient.builder().identifier(id)
                .serverHost(transport.tls() ? "localhost" : "127.0.0.1").serverPort(broker.port(transport));
        if (transport.tls()) {
            builder = builder.sslConfig().trustManagerFactory(broker.certificates().trustManagerFactory())
                    .applySslConfig();
        }
        if (transport.websocket()) {
            builder = builder.webSocketConfig().serverPath(TestBroker.WS_PATH.substring(1)).applyWebSocketConfig();
        }
        return builder;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}

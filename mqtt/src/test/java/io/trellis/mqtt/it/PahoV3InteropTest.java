package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Eclipse Paho v3 (MQTT 3.1.1) against Trellis over tcp, ssl, ws and wss. */
class PahoV3InteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestBroker broker;
    private final List<MqttClient> clients = new ArrayList<>();

    /** One tcp publisher for the class: each Paho connect costs ~300 ms of client-side thread start-up. */
    private static MqttClient sharedPublisher;

    @BeforeAll
    static void startBroker() throws MqttException {
        broker = TestBroker.start();
        sharedPublisher = new MqttClient(broker.pahoUri(Type.TCP), Ids.client("v3pub"), new MemoryPersistence());
        sharedPublisher.connect(options(true));
    }

    @AfterAll
    static void stopBroker() throws MqttException {
        if (sharedPublisher != null && sharedPublisher.isConnected()) {
            sharedPublisher.disconnect(0);
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttClient publisher() {
        return sharedPublisher;
    }

    @AfterEach
    void closeClients() {
        for (MqttClient client : clients) {
            try {
                if (client.isConnected()) {
                    client.disconnect(0); // disconnectForcibly would wait out its whole timeout
                }
                client.close(true);
            } catch (MqttException ignored) {
                // the test is over; a client the broker already dropped may refuse to close cleanly
            }
        }
    }

    static Stream<Arguments> transportsAndQos() {
        // every transport at QoS 1, the other QoS levels over tcp: keeps the class fast
        return Stream.concat(Stream.of(Type.values()).map(type -> Arguments.of(type, 1)),
                Stream.of(0, 2).map(qos -> Arguments.of(Type.TCP, qos)));
    }

    @ParameterizedTest(name = "{0} qos {1}")
    @MethodSource("transportsAndQos")
    void publishedMessageReachesSubscriber(Type transport, int qos) throws Exception {
        String topic = Ids.topic("roundtrip");
        Inbox inbox = new Inbox();
        MqttClient subscriber = connect(transport, Ids.client("v3sub"), true, inbox);
        subscriber.subscribe(topic, qos);
        MqttClient publisher = connect(transport, Ids.client("v3pub"), true, null);

        publisher.publish(topic, payload("over " + transport.id()), qos, false);

        await().atMost(WAIT).until(() -> inbox.count(topic) == 1);
        Received got = inbox.first(topic);
        assertThat(got.text()).isEqualTo("over " + transport.id());
        assertThat(got.message.getQos()).isEqualTo(qos);
        assertThat(got.message.isRetained()).isFalse();
    }

    @Test
    void persistentSessionQueuesQos1WhileOfflineAndDeliversOnReconnect() throws Exception {
        String topic = Ids.topic("offline");
        String id = Ids.client("v3persistent");
        MqttClient subscriber = connect(Type.TCP, id, false, new Inbox());
        subscriber.subscribe(topic, 1);
        subscriber.disconnect();
        broker.awaitOffline(id);

        MqttClient publisher = publisher();
        for (int i = 1; i <= 3; i++) {
            publisher.publish(topic, payload("queued " + i), 1, false);
        }

        Inbox inbox = new Inbox();
        subscriber.setCallback(inbox);
        MqttConnectOptions options = options(false);
        subscriber.connect(options);
        await().atMost(WAIT).until(() -> inbox.count(topic) == 3);
        assertThat(inbox.texts(topic)).containsExactly("queued 1", "queued 2", "queued 3");
    }

    @Test
    void cleanSessionDiscardsSubscriptionsOfThePreviousSession() throws Exception {
        String topic = Ids.topic("clean");
        String marker = topic + "/marker";
        String id = Ids.client("v3clean");
        MqttClient first = connect(Type.TCP, id, false, new Inbox());
        first.subscribe(topic, 1);
        first.disconnect();

        Inbox inbox = new Inbox();
        MqttClient again = connect(Type.TCP, id, true, inbox);
        again.subscribe(marker, 1);
        MqttClient publisher = publisher();
        publisher.publish(topic, payload("must not arrive"), 1, false);
        publisher.publish(marker, payload("marker"), 1, false);

        await().atMost(WAIT).until(() -> inbox.count(marker) == 1);
        assertThat(inbox.count(topic)).isZero();
    }

    @Test
    void retainedMessageIsSetDeliveredOnSubscribeAndDeletedByEmptyPayload() throws Exception {
        String topic = Ids.topic("retained");
        MqttClient publisher = publisher();
        publisher.publish(topic, payload("kept"), 1, true);

        Inbox late = new Inbox();
        MqttClient lateSubscriber = connect(Type.TCP, Ids.client("v3late"), true, late);
        lateSubscriber.subscribe(topic, 1);
        await().atMost(WAIT).until(() -> late.count(topic) == 1);
        assertThat(late.first(topic).text()).isEqualTo("kept");
        assertThat(late.first(topic).message.isRetained()).as("retain flag on a retained delivery").isTrue();

        publisher.publish(topic, new byte[0], 1, true);

        String marker = topic + "/marker";
        Inbox later = new Inbox();
        MqttClient laterSubscriber = connect(Type.TCP, Ids.client("v3later"), true, later);
        laterSubscriber.subscribe(new String[] {topic, marker}, new int[] {1, 1});
        publisher.publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> later.count(marker) == 1);
        assertThat(later.count(topic)).as("retained message after deletion").isZero();
    }

    @Test
    void liveDeliveryOfARetainedPublishClearsTheRetainFlag() throws Exception {
        // MQTT-3.3.1-9 (3.1.1): a message sent to an existing subscription carries retain=0
        String topic = Ids.topic("retainlive");
        Inbox inbox = new Inbox();
        MqttClient subscriber = connect(Type.TCP, Ids.client("v3sub"), true, inbox);
        subscriber.subscribe(topic, 1);
        MqttClient publisher = publisher();
        publisher.publish(topic, payload("live"), 1, true);
        await().atMost(WAIT).until(() -> inbox.count(topic) == 1);
        assertThat(inbox.first(topic).message.isRetained()).isFalse();
        publisher.publish(topic, new byte[0], 1, true);
    }

    @Test
    void willIsPublishedWhenTheConnectionDropsWithoutDisconnect() throws Exception {
        String willTopic = Ids.topic("will");
        Inbox inbox = new Inbox();
        MqttClient watcher = connect(Type.TCP, Ids.client("v3watch"), true, inbox);
        watcher.subscribe(willTopic, 1);

        MqttAsyncClient dying = new MqttAsyncClient(broker.pahoUri(Type.TCP), Ids.client("v3dying"),
                new MemoryPersistence());
        MqttConnectOptions options = options(true);
        options.setWill(willTopic, payload("gone"), 1, false);
        dying.connect(options).waitForCompletion(WAIT.toMillis());
        dying.disconnectForcibly(0, 100, false); // closes the socket, no DISCONNECT packet

        await().atMost(WAIT).until(() -> inbox.count(willTopic) == 1);
        assertThat(inbox.first(willTopic).text()).isEqualTo("gone");
        dying.close();
    }

    @Test
    void willIsNotPublishedAfterACleanDisconnect() throws Exception {
        String willTopic = Ids.topic("nowill");
        String marker = willTopic + "/marker";
        Inbox inbox = new Inbox();
        MqttClient watcher = connect(Type.TCP, Ids.client("v3watch"), true, inbox);
        watcher.subscribe(new String[] {willTopic, marker}, new int[] {1, 1});

        String id = Ids.client("v3polite");
        MqttClient polite = new MqttClient(broker.pahoUri(Type.TCP), id, new MemoryPersistence());
        MqttConnectOptions options = options(true);
        options.setWill(willTopic, payload("must not arrive"), 1, false);
        polite.connect(options);
        polite.disconnect();
        polite.close();
        broker.awaitGone(id);

        MqttClient publisher = publisher();
        publisher.publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> inbox.count(marker) == 1);
        assertThat(inbox.count(willTopic)).isZero();
    }

    @Test
    void singleLevelAndMultiLevelWildcardsMatchAndHashDoesNotMatchSysTopics() throws Exception {
        String base = Ids.topic("wild");
        Inbox plus = new Inbox();
        Inbox hash = new Inbox();
        Inbox everything = new Inbox();
        connect(Type.TCP, Ids.client("v3plus"), true, plus).subscribe(base + "/+/c", 1);
        connect(Type.TCP, Ids.client("v3hash"), true, hash).subscribe(base + "/#", 1);
        connect(Type.TCP, Ids.client("v3all"), true, everything).subscribe("#", 0);
        MqttClient publisher = publisher();

        if (broker.isTrellis()) {
            broker.admin().publish("$SYS/" + base, payload("system"), 0, false);
        }
        publisher.publish(base + "/b/c", payload("1"), 1, false);
        publisher.publish(base + "/b/d", payload("2"), 1, false);
        publisher.publish(base + "/b/c/d", payload("3"), 1, false);
        publisher.publish(base, payload("4"), 1, false); // '#' also matches its parent level
        String marker = base + "/marker";
        publisher.publish(marker, payload("marker"), 1, false);

        await().atMost(WAIT).until(() -> hash.count(marker) == 1 && everything.count(marker) == 1
                && plus.count(base + "/b/c") == 1);
        assertThat(plus.topics()).containsExactly(base + "/b/c");
        assertThat(hash.topics()).containsExactly(base + "/b/c", base + "/b/d", base + "/b/c/d", base, marker);
        assertThat(everything.topics()).as("'#' must not match topics starting with $")
                .noneMatch(topic -> topic.startsWith("$"))
                .contains(base + "/b/c", marker);
    }

    @Test
    void sharedSubscriptionDeliversEachMessageToExactlyOneMember() throws Exception {
        String topic = Ids.topic("shared");
        String filter = "$share/" + Ids.client("g") + "/" + topic;
        Inbox first = new Inbox();
        Inbox second = new Inbox();
        connect(Type.TCP, Ids.client("v3member"), true, first).subscribe(filter, 1);
        connect(Type.TCP, Ids.client("v3member"), true, second).subscribe(filter, 1);
        MqttClient publisher = publisher();

        int messages = 20;
        for (int i = 0; i < messages; i++) {
            publisher.publish(topic, payload("m" + i), 1, false);
        }

        await().atMost(WAIT).until(() -> first.count(topic) + second.count(topic) >= messages);
        List<String> all = new ArrayList<>(first.texts(topic));
        all.addAll(second.texts(topic));
        assertThat(all).hasSize(messages);
        assertThat(new HashSet<>(all)).hasSize(messages);
        assertThat(first.all).allSatisfy(r -> assertThat(r.topic).isEqualTo(topic));
    }

    @Test
    void secondConnectWithTheSameClientIdTakesOverTheSession() throws Exception {
        String id = Ids.client("v3takeover");
        AtomicReference<Throwable> lost = new AtomicReference<>();
        Inbox firstInbox = new Inbox() {
            @Override
            public void connectionLost(Throwable cause) {
                lost.set(cause);
            }
        };
        MqttClient first = connect(Type.TCP, id, true, firstInbox);
        MqttClient second = connect(Type.TCP, id, true, null);

        await().atMost(WAIT).until(() -> lost.get() != null);
        assertThat(first.isConnected()).isFalse();
        assertThat(second.isConnected()).isTrue();
        if (broker.isTrellis()) {
            assertThat(broker.admin().clients()).filteredOn(c -> c.clientId().equals(id))
                    .singleElement().extracting(ClientInfo::connected).isEqualTo(true);
        }
    }

    @Test
    void takeoverWithCleanSessionFalseResumesTheSessionsSubscriptions() throws Exception {
        String topic = Ids.topic("resume");
        String id = Ids.client("v3resume");
        MqttClient first = connect(Type.TCP, id, false, new Inbox());
        first.subscribe(topic, 1);
        Inbox inbox = new Inbox();
        MqttClient second = connect(Type.TCP, id, false, inbox); // no SUBSCRIBE of its own
        await().atMost(WAIT).until(() -> !first.isConnected());

        publisher().publish(topic, payload("to the session"), 1, false);
        await().atMost(WAIT).until(() -> inbox.count(topic) == 1);
        assertThat(second.isConnected()).isTrue();
    }

    @Test
    void retainedWillIsKeptForLaterSubscribers() throws Exception {
        String willTopic = Ids.topic("retainedwill");
        Inbox watcher = new Inbox();
        connect(Type.TCP, Ids.client("v3watch"), true, watcher).subscribe(willTopic, 1);
        MqttAsyncClient dying = new MqttAsyncClient(broker.pahoUri(Type.TCP), Ids.client("v3dyingretained"),
                new MemoryPersistence());
        MqttConnectOptions options = options(true);
        options.setWill(willTopic, payload("last words"), 1, true);
        dying.connect(options).waitForCompletion(WAIT.toMillis());
        dying.disconnectForcibly(0, 100, false);
        dying.close();
        await().atMost(WAIT).until(() -> watcher.count(willTopic) == 1);

        Inbox late = new Inbox();
        connect(Type.TCP, Ids.client("v3late"), true, late).subscribe(willTopic, 1);
        await().atMost(WAIT).until(() -> late.count(willTopic) == 1);
        assertThat(late.first(willTopic).text()).isEqualTo("last words");
        assertThat(late.first(willTopic).message.isRetained()).isTrue();
        publisher().publish(willTopic, new byte[0], 1, true);
    }

    private MqttClient connect(Type transport, String id, boolean cleanSession, MqttCallback callback)
            throws MqttException {
        MqttClient client = new MqttClient(broker.pahoUri(transport), id, new MemoryPersistence());
        clients.add(client);
        if (callback != null) {
            client.setCallback(callback);
        }
        MqttConnectOptions options = options(cleanSession);
        if (transport.tls()) {
            options.setSocketFactory(broker.certificates().socketFactory());
        }
        client.connect(options);
        return client;
    }

    private static MqttConnectOptions options(boolean cleanSession) {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(cleanSession);
        options.setAutomaticReconnect(false);
        options.setConnectionTimeout(10);
        options.setKeepAliveInterval(30);
        options.setMaxInflight(100);
        return options;
    }

    private static byte[] payload(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    record Received(String topic, MqttMessage message) {
        String text() {
            return new String(message.getPayload(), StandardCharsets.UTF_8);
        }
    }

    /** Collects what a Paho v3 client receives. */
    static class Inbox implements MqttCallback {
        final List<Received> all = new CopyOnWriteArrayList<>();

        @Override
        public void connectionLost(Throwable cause) {
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            all.add(new Received(topic, message));
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }

        long count(String topic) {
            return all.stream().filter(r -> r.topic.equals(topic)).count();
        }

        Received first(String topic) {
            return all.stream().filter(r -> r.topic.equals(topic)).findFirst().orElseThrow();
        }

        List<String> texts(String topic) {
            return all.stream().filter(r -> r.topic.equals(topic)).map(Received::text).toList();
        }

        List<String> topics() {
            return all.stream().map(Received::topic).toList();
        }
    }
}

package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Eclipse Paho v5 (MQTT 5) against Trellis: transports, sessions, retained, wills and v5 properties. */
class PahoV5InteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestBroker broker;
    private final List<MqttClient> clients = new ArrayList<>();

    /** One tcp publisher for the class: each Paho connect costs ~300 ms of client-side thread start-up. */
    private static MqttClient sharedPublisher;

    @BeforeAll
    static void startBroker() throws MqttException {
        broker = TestBroker.start();
        sharedPublisher = new MqttClient(broker.pahoUri(Type.TCP), Ids.client("v5pub"), new MemoryPersistence());
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
    void messageAndItsPropertiesReachTheSubscriber(Type transport, int qos) throws Exception {
        String topic = Ids.topic("v5roundtrip");
        Inbox inbox = new Inbox();
        MqttClient subscriber = connect(transport, Ids.client("v5sub"), inbox, null);
        subscriber.subscribe(topic, qos);
        MqttClient publisher = connect(transport, Ids.client("v5pub"), null, null);

        MqttMessage message = new MqttMessage(payload("over " + transport.id()), qos, false, new MqttProperties());
        message.getProperties().setUserProperties(List.of(new UserProperty("origin", "paho5"),
                new UserProperty("origin", "twice"), new UserProperty("k", "v")));
        message.getProperties().setResponseTopic(topic + "/reply");
        message.getProperties().setCorrelationData(new byte[] {1, 2, 3, (byte) 0xFF});
        message.getProperties().setContentType("text/plain");
        publisher.publish(topic, message);

        await().atMost(WAIT).until(() -> inbox.count(topic) == 1);
        MqttMessage got = inbox.first(topic).message();
        assertThat(new String(got.getPayload(), StandardCharsets.UTF_8)).isEqualTo("over " + transport.id());
        assertThat(got.getQos()).isEqualTo(qos);
        assertThat(got.getProperties().getUserProperties()).as("user properties, order and duplicates kept")
                .containsExactly(new UserProperty("origin", "paho5"), new UserProperty("origin", "twice"),
                        new UserProperty("k", "v"));
        assertThat(got.getProperties().getResponseTopic()).isEqualTo(topic + "/reply");
        assertThat(got.getProperties().getCorrelationData()).containsExactly(1, 2, 3, 0xFF);
        assertThat(got.getProperties().getContentType()).isEqualTo("text/plain");
    }

    @Test
    void requestResponseWithResponseTopicAndCorrelationData() throws Exception {
        String requests = Ids.topic("requests");
        MqttClient responder = connect(Type.TCP, Ids.client("v5responder"), null, null);
        responder.subscribe(new MqttSubscription[] {new MqttSubscription(requests, 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(topic, request) -> {
                    MqttMessage reply = new MqttMessage(payload("pong"), 1, false, new MqttProperties());
                    reply.getProperties().setCorrelationData(request.getProperties().getCorrelationData());
                    responder.publish(request.getProperties().getResponseTopic(), reply);
                }});

        String replies = Ids.topic("replies");
        Inbox inbox = new Inbox();
        MqttClient requester = connect(Type.TCP, Ids.client("v5requester"), inbox, null);
        requester.subscribe(replies, 1);
        MqttMessage request = new MqttMessage(payload("ping"), 1, false, new MqttProperties());
        request.getProperties().setResponseTopic(replies);
        request.getProperties().setCorrelationData(payload("request-42"));
        requester.publish(requests, request);

        await().atMost(WAIT).until(() -> inbox.count(replies) == 1);
        assertThat(inbox.first(replies).message().getProperties().getCorrelationData())
                .isEqualTo(payload("request-42"));
    }

    @Test
    void persistentSessionWithExpiryQueuesWhileOfflineAndDeliversOnReconnect() throws Exception {
        String topic = Ids.topic("v5offline");
        String id = Ids.client("v5persistent");
        MqttConnectionOptions persistent = options(false);
        persistent.setSessionExpiryInterval(300L);
        MqttClient subscriber = connect(Type.TCP, id, new Inbox(), persistent);
        subscriber.subscribe(topic, 2);
        subscriber.disconnect();
        broker.awaitOffline(id);

        MqttClient publisher = publisher();
        publisher.publish(topic, payload("q1"), 1, false);
        publisher.publish(topic, payload("q2"), 2, false);

        Inbox inbox = new Inbox();
        subscriber.setCallback(inbox);
        IMqttToken reconnect = subscriber.connectWithResult(persistent);
        assertThat(reconnect.getSessionPresent()).as("session present on reconnect").isTrue();
        await().atMost(WAIT).until(() -> inbox.count(topic) == 2);
        assertThat(inbox.texts(topic)).containsExactly("q1", "q2");
    }

    @Test
    void expiredMessageIsNotDeliveredFromTheOfflineQueue() throws Exception {
        String topic = Ids.topic("v5expiry");
        String id = Ids.client("v5expiring");
        MqttConnectionOptions persistent = options(false);
        persistent.setSessionExpiryInterval(300L);
        MqttClient subscriber = connect(Type.TCP, id, new Inbox(), persistent);
        subscriber.subscribe(topic, 1);
        subscriber.disconnect();
        broker.awaitOffline(id);

        MqttClient publisher = publisher();
        MqttMessage shortLived = new MqttMessage(payload("expires"), 1, false, new MqttProperties());
        shortLived.getProperties().setMessageExpiryInterval(1L);
        publisher.publish(topic, shortLived);
        MqttMessage longLived = new MqttMessage(payload("lives"), 1, false, new MqttProperties());
        longLived.getProperties().setMessageExpiryInterval(3600L);
        publisher.publish(topic, longLived);
        long expired = System.nanoTime() + Duration.ofMillis(2100).toNanos();
        // the clock has to pass the 1 s expiry: wait for the clock itself, not for the broker
        await().atMost(WAIT).until(() -> System.nanoTime() > expired);

        Inbox inbox = new Inbox();
        subscriber.setCallback(inbox);
        subscriber.connect(persistent);
        await().atMost(WAIT).until(() -> inbox.texts(topic).contains("lives"));
        assertThat(inbox.texts(topic)).containsExactly("lives");
        Long remaining = inbox.first(topic).message().getProperties().getMessageExpiryInterval();
        assertThat(remaining).as("expiry forwarded, reduced by the time spent waiting").isNotNull()
                .isPositive().isLessThanOrEqualTo(3600L);
    }

    @Test
    void retainHandlingAndRetainAsPublished() throws Exception {
        String topic = Ids.topic("v5retain");
        String marker = topic + "/marker";
        MqttClient publisher = publisher();
        publisher.publish(topic, payload("kept"), 1, true);

        // retain handling 0: retained message sent on subscribe, with retain=1
        Inbox normal = new Inbox();
        connect(Type.TCP, Ids.client("v5rh0"), normal, null).subscribe(topic, 1);
        await().atMost(WAIT).until(() -> normal.count(topic) == 1);
        assertThat(normal.first(topic).message().isRetained()).isTrue();

        // retain handling 2: no retained message on subscribe
        Inbox none = new Inbox();
        MqttSubscription noRetained = new MqttSubscription(topic, 1);
        noRetained.setRetainHandling(2);
        connect(Type.TCP, Ids.client("v5rh2"), none, null)
                .subscribe(new MqttSubscription[] {noRetained, new MqttSubscription(marker, 1)});

        // retain as published: a live retained publish keeps retain=1 only for the RAP subscriber
        Inbox asPublished = new Inbox();
        MqttSubscription rap = new MqttSubscription(topic, 1);
        rap.setRetainAsPublished(true);
        rap.setRetainHandling(2);
        connect(Type.TCP, Ids.client("v5rap"), asPublished, null).subscribe(new MqttSubscription[] {rap});

        publisher.publish(topic, payload("live"), 1, true);
        publisher.publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> none.count(marker) == 1 && asPublished.count(topic) == 1
                && normal.count(topic) == 2);
        assertThat(none.texts(topic)).as("retain handling 2 gets only live messages").containsExactly("live");
        assertThat(none.first(topic).message().isRetained()).isFalse();
        assertThat(asPublished.first(topic).message().isRetained()).as("retain as published").isTrue();
        assertThat(normal.all.get(1).message().isRetained()).as("live delivery without RAP").isFalse();

        publisher.publish(topic, new byte[0], 1, true);
        Inbox after = new Inbox();
        MqttClient late = connect(Type.TCP, Ids.client("v5late"), after, null);
        late.subscribe(new String[] {topic, marker}, new int[] {1, 1});
        publisher.publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> after.count(marker) == 1);
        assertThat(after.count(topic)).as("retained message deleted by empty payload").isZero();
    }

    @Test
    void retainHandlingOneSendsRetainedOnlyForANewSubscription() throws Exception {
        String topic = Ids.topic("v5rh1");
        String marker = Ids.topic("v5rh1-marker");
        publisher().publish(topic, payload("kept"), 1, true);
        Inbox inbox = new Inbox();
        MqttClient client = connect(Type.TCP, Ids.client("v5rh1"), inbox, null);
        MqttSubscription onlyIfNew = new MqttSubscription(topic, 1);
        onlyIfNew.setRetainHandling(1);
        client.subscribe(new MqttSubscription[] {onlyIfNew, new MqttSubscription(marker, 1)});
        await().atMost(WAIT).until(() -> inbox.count(topic) == 1);

        MqttSubscription again = new MqttSubscription(topic, 1);
        again.setRetainHandling(1);
        client.subscribe(new MqttSubscription[] {again}); // exists already: no retained message
        publisher().publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> inbox.count(marker) == 1);
        assertThat(inbox.count(topic)).isEqualTo(1);
        publisher().publish(topic, new byte[0], 1, true);
    }

    @Test
    void willIsPublishedOnAbruptCloseButNotAfterNormalDisconnect() throws Exception {
        String willTopic = Ids.topic("v5will");
        String marker = willTopic + "/marker";
        Inbox inbox = new Inbox();
        connect(Type.TCP, Ids.client("v5watch"), inbox, null).subscribe(new String[] {willTopic, marker},
                new int[] {1, 1});

        MqttClient dying = withWill(Ids.client("v5dying"), willTopic, "abrupt", 0);
        dying.disconnectForcibly(0, 100, false);
        await().atMost(WAIT).until(() -> inbox.count(willTopic) == 1);
        assertThat(inbox.first(willTopic).text()).isEqualTo("abrupt");

        String politeId = Ids.client("v5polite");
        MqttClient polite = withWill(politeId, willTopic, "must not arrive", 0);
        polite.disconnect();
        broker.awaitOffline(politeId); // its session (expiry 600 s) stays
        publisher().publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> inbox.count(marker) == 1);
        assertThat(inbox.texts(willTopic)).containsExactly("abrupt");
    }

    @Test
    void disconnectWithReasonDisconnectWithWillMessagePublishesTheWill() throws Exception {
        String willTopic = Ids.topic("v5will04");
        Inbox inbox = new Inbox();
        connect(Type.TCP, Ids.client("v5watch"), inbox, null).subscribe(willTopic, 1);

        MqttAsyncClient client = new MqttAsyncClient(broker.pahoUri(Type.TCP), Ids.client("v5will04"),
                new MemoryPersistence());
        MqttConnectionOptions options = options(true);
        options.setWill(willTopic, new MqttMessage(payload("asked for"), 1, false, new MqttProperties()));
        client.connect(options).waitForCompletion(WAIT.toMillis());
        client.disconnect(0, null, null, 0x04, new MqttProperties()).waitForCompletion(WAIT.toMillis());

        await().atMost(WAIT).until(() -> inbox.count(willTopic) == 1);
        client.close();
    }

    @Test
    void delayedWillIsCancelledByReconnectAndSentWhenTheDelayEnds() throws Exception {
        String willTopic = Ids.topic("v5willdelay");
        String marker = willTopic + "/marker";
        Inbox inbox = new Inbox();
        connect(Type.TCP, Ids.client("v5watch"), inbox, null).subscribe(new String[] {willTopic, marker},
                new int[] {1, 1});

        // a long delay and a reconnect in time: no will (MQTT-3.1.3-9 / 3.1.2.5)
        String returning = Ids.client("v5returning");
        MqttClient first = withWill(returning, willTopic, "cancelled", 300);
        first.disconnectForcibly(0, 100, false);
        broker.awaitOffline(returning);
        withWill(returning, willTopic, "second", 300);
        publisher().publish(marker, payload("marker"), 1, false);
        await().atMost(WAIT).until(() -> inbox.count(marker) == 1);
        assertThat(inbox.count(willTopic)).as("will of a client that came back within the delay").isZero();

        // a 1 s delay and no reconnect: the will arrives after the delay
        MqttClient gone = withWill(Ids.client("v5gone"), willTopic, "delayed", 1);
        gone.disconnectForcibly(0, 100, false);
        await().atMost(WAIT).until(() -> inbox.count(willTopic) == 1);
        assertThat(inbox.first(willTopic).text()).isEqualTo("delayed");
    }

    @Test
    void secondConnectTakesOverAndTheFirstGetsReasonSessionTakenOver() throws Exception {
        String id = Ids.client("v5takeover");
        List<MqttDisconnectResponse> kicked = new CopyOnWriteArrayList<>();
        Inbox firstInbox = new Inbox() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                kicked.add(response);
            }
        };
        MqttClient first = connect(Type.TCP, id, firstInbox, null);
        MqttClient second = connect(Type.TCP, id, null, null);

        await().atMost(WAIT).until(() -> !first.isConnected());
        assertThat(second.isConnected()).isTrue();
        if (broker.isTrellis()) { // mosquitto 2.0 closes the old connection without a DISCONNECT
            // Paho reports the broker's DISCONNECT, and possibly the closed socket after it (code 0)
            await().atMost(WAIT).untilAsserted(() -> assertThat(kicked)
                    .extracting(MqttDisconnectResponse::getReturnCode)
                    .as("DISCONNECT reason: session taken over").contains(0x8E));
        }
    }

    @Test
    void noLocalSubscriptionDoesNotReceiveItsOwnMessages() throws Exception {
        String topic = Ids.topic("v5nolocal");
        Inbox own = new Inbox();
        MqttClient client = connect(Type.TCP, Ids.client("v5nolocal"), own, null);
        MqttSubscription noLocal = new MqttSubscription(topic, 1);
        noLocal.setNoLocal(true);
        client.subscribe(new MqttSubscription[] {noLocal});

        client.publish(topic, payload("mine"), 1, false);
        connect(Type.TCP, Ids.client("v5other"), null, null).publish(topic, payload("theirs"), 1, false);

        await().atMost(WAIT).until(() -> own.texts(topic).contains("theirs"));
        assertThat(own.texts(topic)).containsExactly("theirs");
    }

    @Test
    void messagesLargerThanTheClientsMaximumPacketSizeAreNotSent() throws Exception {
        String topic = Ids.topic("v5maxpacket");
        Inbox inbox = new Inbox();
        MqttConnectionOptions small = options(true);
        small.setMaximumPacketSize(512L);
        MqttClient subscriber = connect(Type.TCP, Ids.client("v5small"), inbox, small);
        subscriber.subscribe(topic, 1);

        MqttClient publisher = publisher();
        publisher.publish(topic, new byte[4096], 1, false);
        publisher.publish(topic, payload("small"), 1, false);

        await().atMost(WAIT).until(() -> inbox.texts(topic).contains("small"));
        assertThat(inbox.texts(topic)).containsExactly("small");
        assertThat(subscriber.isConnected()).isTrue();
    }

    @Test
    void sharedSubscriptionDeliversEachMessageToExactlyOneMember() throws Exception {
        String topic = Ids.topic("v5shared");
        String filter = "$share/" + Ids.client("g") + "/" + topic;
        Inbox first = new Inbox();
        Inbox second = new Inbox();
        connect(Type.TCP, Ids.client("v5member"), first, null).subscribe(filter, 1);
        connect(Type.WS, Ids.client("v5member"), second, null).subscribe(filter, 1);
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
    }

    private MqttClient withWill(String id, String willTopic, String text, long delaySeconds) throws MqttException {
        MqttConnectionOptions options = options(false);
        options.setSessionExpiryInterval(600L);
        options.setWill(willTopic, new MqttMessage(payload(text), 1, false, new MqttProperties()));
        if (delaySeconds > 0) {
            MqttProperties willProperties = new MqttProperties();
            willProperties.setWillDelayInterval(delaySeconds);
            options.setWillMessageProperties(willProperties);
        }
        return connect(Type.TCP, id, null, options);
    }

    private MqttClient connect(Type transport, String id, MqttCallback callback, MqttConnectionOptions given)
            throws MqttException {
        MqttClient client = new MqttClient(broker.pahoUri(transport), id, new MemoryPersistence());
        clients.add(client);
        if (callback != null) {
            client.setCallback(callback);
        }
        MqttConnectionOptions options = given != null ? given : options(true);
        if (transport.tls()) {
            options.setSocketFactory(broker.certificates().socketFactory());
        }
        client.connect(options);
        return client;
    }

    private static MqttConnectionOptions options(boolean cleanStart) {
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(cleanStart);
        options.setAutomaticReconnect(false);
        options.setConnectionTimeout(10);
        options.setKeepAliveInterval(30);
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

    /** Collects what a Paho v5 client receives. */
    static class Inbox implements MqttCallback {
        final List<Received> all = new CopyOnWriteArrayList<>();

        @Override
        public void disconnected(MqttDisconnectResponse response) {
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            all.add(new Received(topic, message));
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
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
    }
}

package io.trellis.mqtt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.testing.EmbeddedBroker;
import io.trellis.mqtt.transport.ListenerSpec;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Main broker flows through a real socket with HiveMQ and Paho clients. */
class BrokerFlowsTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    static EmbeddedBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedBroker.start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static Mqtt5BlockingClient v5(String id) {
        Mqtt5BlockingClient c = MqttClient.builder().identifier(id).serverHost("127.0.0.1")
                .serverPort(broker.tcpPort()).useMqttVersion5().buildBlocking();
        c.connect();
        return c;
    }

    @Test
    void persistentSessionOfMqtt311QueuesWhileAwayAndDeliversOnReturn() throws Exception {
        List<String> got = new CopyOnWriteArrayList<>();
        org.eclipse.paho.client.mqttv3.MqttClient sub = new org.eclipse.paho.client.mqttv3.MqttClient(
                broker.tcpUri(), "flows-persistent", new MemoryPersistence());
        MqttConnectOptions opts = new MqttConnectOptions();
        opts.setCleanSession(false);
        sub.setCallback(new MqttCallback() {
            public void connectionLost(Throwable cause) {
            }

            public void messageArrived(String topic, MqttMessage message) {
                got.add(new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        sub.connect(opts);
        sub.subscribe("flows/persistent", 1);
        sub.disconnect();
        await().atMost(WAIT).until(() -> broker.admin().client("flows-persistent").map(c -> !c.connected()).orElse(false));

        Mqtt5BlockingClient pub = v5("flows-persistent-pub");
        for (int i = 0; i < 3; i++) {
            pub.publishWith().topic("flows/persistent").payload(("m" + i).getBytes()).qos(MqttQos.AT_LEAST_ONCE).send();
        }
        // delivery hops to the subscriber's event loop, so the queue fills just after the PUBACKs
        await().atMost(WAIT).until(() -> broker.admin().client("flows-persistent").orElseThrow().mqueueLen() == 3);
        ClientInfo away = broker.admin().client("flows-persistent").orElseThrow();
        assertThat(away.subscriptionsCnt()).isEqualTo(1);

        sub.connect(opts);
        await().atMost(WAIT).until(() -> got.size() == 3);
        assertThat(got).containsExactly("m0", "m1", "m2");
        sub.disconnect();
        sub.close();
        pub.disconnect();
    }

    @Test
    void mqtt5SessionEndsWhenItsExpiryIntervalPasses() {
        Mqtt5BlockingClient c = MqttClient.builder().identifier("flows-expiry").serverHost("127.0.0.1")
                .serverPort(broker.tcpPort()).useMqttVersion5().buildBlocking();
        c.connectWith().cleanStart(true).sessionExpiryInterval(1).send();
        c.subscribeWith().topicFilter("flows/expiry").send();
        c.disconnect();
        assertThat(broker.admin().client("flows-expiry")).isPresent();
        await().atMost(WAIT).until(() -> broker.admin().client("flows-expiry").isEmpty());
        assertThat(broker.admin().topics()).doesNotContain("flows/expiry");
    }

    @Test
    void secondConnectionWithSameIdTakesOverWithReason0x8E() {
        AtomicReference<Throwable> lost = new AtomicReference<>();
        Mqtt5BlockingClient first = MqttClient.builder().identifier("flows-takeover").serverHost("127.0.0.1")
                .serverPort(broker.tcpPort()).useMqttVersion5()
                .addDisconnectedListener(ctx -> lost.compareAndSet(null, ctx.getCause())).buildBlocking();
        first.connect();
        Mqtt5BlockingClient second = v5("flows-takeover");
        await().atMost(WAIT).until(() -> lost.get() != null);
        assertThat(lost.get()).isInstanceOf(Mqtt5DisconnectException.class);
        assertThat(((Mqtt5DisconnectException) lost.get()).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
        assertThat(broker.admin().client("flows-takeover").orElseThrow().connected()).isTrue();
        second.disconnect();
    }

    @Test
    void sharedSubscriptionDeliversEachMessageToOneMember() throws Exception {
        Mqtt5BlockingClient a = v5("flows-share-a");
        Mqtt5BlockingClient b = v5("flows-share-b");
        Mqtt5BlockingClient q = v5("flows-queue");
        try (var pa = a.publishes(MqttGlobalPublishFilter.ALL); var pb = b.publishes(MqttGlobalPublishFilter.ALL);
             var pq = q.publishes(MqttGlobalPublishFilter.ALL)) {
            a.subscribeWith().topicFilter("$share/g/flows/share/#").qos(MqttQos.AT_LEAST_ONCE).send();
            b.subscribeWith().topicFilter("$share/g/flows/share/#").qos(MqttQos.AT_LEAST_ONCE).send();
            q.subscribeWith().topicFilter("$queue/flows/share/#").qos(MqttQos.AT_LEAST_ONCE).send();
            Mqtt5BlockingClient pub = v5("flows-share-pub");
            for (int i = 0; i < 10; i++) {
                pub.publishWith().topic("flows/share/" + i).payload(new byte[] {(byte) i}).qos(MqttQos.AT_LEAST_ONCE).send();
            }
            int fromA = drain(pa), fromB = drain(pb), fromQueue = drain(pq);
            assertThat(fromA + fromB).isEqualTo(10);
            assertThat(fromA).as("round robin").isEqualTo(5);
            assertThat(fromQueue).as("$queue is its own group").isEqualTo(10);
            pub.disconnect();
        }
        a.disconnect();
        b.disconnect();
        q.disconnect();
    }

    private static int drain(Mqtt5BlockingClient.Mqtt5Publishes publishes) throws InterruptedException {
        int n = 0;
        while (publishes.receive(n < 5 ? 3 : 1, TimeUnit.SECONDS).isPresent()) n++;
        return n;
    }

    @Test
    void retainedMessagesFollowRetainHandlingAndEmptyPayloadDeletes() throws Exception {
        Mqtt5BlockingClient pub = v5("flows-retain-pub");
        pub.publishWith().topic("flows/retained").payload("kept".getBytes()).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient sub = v5("flows-retain-sub");
        try (var p = sub.publishes(MqttGlobalPublishFilter.ALL)) {
            sub.subscribeWith().topicFilter("flows/retained").qos(MqttQos.AT_LEAST_ONCE).send();
            Optional<Mqtt5Publish> got = p.receive(10, TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(got.get().isRetain()).isTrue();
            assertThat(new String(got.get().getPayloadAsBytes())).isEqualTo("kept");

            sub.subscribeWith().topicFilter("flows/retained").retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
            sub.subscribeWith().topicFilter("flows/+").retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).send();
            assertThat(p.receive(10, TimeUnit.SECONDS)).as("new subscription flows/+ gets it once").isPresent();
            pub.publishWith().topic("flows/retained").payload(new byte[0]).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
            // the delete itself is delivered to the two live subscriptions
            assertThat(p.receive(10, TimeUnit.SECONDS)).isPresent();
            assertThat(p.receive(10, TimeUnit.SECONDS)).isPresent();
        }
        await().atMost(WAIT).until(() -> broker.admin().stats().get("retained.count") == 0L);
        sub.disconnect();
        pub.disconnect();
    }

    @Test
    void adminKicksListsAndCounts() {
        AtomicReference<Throwable> lost = new AtomicReference<>();
        Mqtt5BlockingClient c = MqttClient.builder().identifier("flows-kick").serverHost("127.0.0.1")
                .serverPort(broker.tcpPort()).useMqttVersion5()
                .addDisconnectedListener(ctx -> lost.compareAndSet(null, ctx.getCause())).buildBlocking();
        c.connect();
        c.subscribeWith().topicFilter("flows/kick/#").send();
        assertThat(broker.admin().subscriptions()).anyMatch(s -> s.clientId().equals("flows-kick"));
        assertThat(broker.admin().topics()).contains("flows/kick/#");
        assertThat(broker.admin().publish("flows/kick/x", new byte[] {1}, 0, false)).isEqualTo(1);

        assertThat(broker.admin().kick("flows-kick")).isTrue();
        await().atMost(WAIT).until(() -> lost.get() != null);
        assertThat(((Mqtt5DisconnectException) lost.get()).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION);
        await().atMost(WAIT).until(() -> broker.admin().client("flows-kick").isEmpty());
        assertThat(broker.admin().topics()).doesNotContain("flows/kick/#");
        assertThat(broker.admin().kick("flows-kick")).isFalse();
        assertThat(broker.admin().metrics()).containsKeys("messages.received", "messages.sent", "messages.dropped",
                "messages.qos0.received", "bytes.received", "bytes.sent", "packets.connect.received",
                "packets.publish.received", "packets.publish.sent", "client.connected", "client.disconnected");
        assertThat(broker.admin().metrics().get("packets.connect.received")).isPositive();
        assertThat(broker.admin().stats()).containsKeys("connections.count", "connections.max", "sessions.count",
                "topics.count", "subscriptions.count", "retained.count", "retained.max");
    }

    @Test
    void firstPacketNotConnectAndSilentSocketsAreClosedAndOthersCarryOn() throws Exception {
        Mqtt5BlockingClient healthy = v5("flows-healthy");
        try (Socket garbage = new Socket("127.0.0.1", broker.tcpPort())) {
            garbage.getOutputStream().write(new byte[] {(byte) 0xC0, 0x00}); // PINGREQ before CONNECT
            garbage.setSoTimeout((int) WAIT.toMillis());
            assertThat(garbage.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket malformed = new Socket("127.0.0.1", broker.tcpPort())) {
            malformed.getOutputStream().write(new byte[] {0x10, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
            malformed.setSoTimeout((int) WAIT.toMillis());
            InputStream in = malformed.getInputStream();
            while (in.read() != -1) {
                // a CONNACK may come first; the socket must then close
            }
        }
        healthy.publishWith().topic("flows/healthy").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE).send();
        healthy.disconnect();
    }

    @Test
    void idleTimeoutClosesAConnectionThatNeverSendsConnect() throws Exception {
        BrokerSettings d = BrokerSettings.defaults();
        BrokerSettings quick = new BrokerSettings(d.nodeName(), d.maxPacketSize(), d.maxClientIdLen(), d.maxTopicLevels(),
                d.maxQosAllowed(), d.maxTopicAlias(), d.retainAvailable(), d.wildcardSubscription(),
                d.sharedSubscription(), d.ignoreLoopDeliver(), Duration.ofMillis(300), d.keepaliveMultiplier(),
                d.serverKeepalive(), d.sessionExpiryInterval(), d.maxInflight(), d.retryInterval(), d.maxAwaitingRel(),
                d.awaitRelTimeout(), d.maxMqueueLen(), d.mqueueStoreQos0(), d.upgradeQos(),
                d.sharedSubscriptionStrategy(), d.maxSendQueueBytes(), 1);
        try (MqttServer server = new MqttServer(quick, List.of(new ListenerSpec(ListenerSpec.Type.TCP, "idle",
                new InetSocketAddress("127.0.0.1", 0), null, null, 1)))) {
            server.start();
            int port = server.boundListeners().get(0).port();
            try (Socket silent = new Socket("127.0.0.1", port)) {
                silent.setSoTimeout((int) WAIT.toMillis());
                assertThat(silent.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void maxConnectionsRefusesTheConnectionAboveTheLimit() throws Exception {
        try (MqttServer server = new MqttServer(BrokerSettings.defaults(), List.of(new ListenerSpec(
                ListenerSpec.Type.TCP, "small", new InetSocketAddress("127.0.0.1", 0), null, null, 1)))) {
            server.start();
            int port = server.boundListeners().get(0).port();
            Mqtt5BlockingClient one = MqttClient.builder().identifier("one").serverHost("127.0.0.1").serverPort(port)
                    .useMqttVersion5().buildBlocking();
            one.connect();
            try (Socket second = new Socket("127.0.0.1", port)) {
                second.setSoTimeout((int) WAIT.toMillis());
                assertThat(second.getInputStream().read()).isEqualTo(-1);
            }
            one.disconnect();
        }
    }

    @Test
    void closeDisconnectsMqtt5ClientsWithServerShuttingDown() {
        try (EmbeddedBroker own = EmbeddedBroker.start()) {
            AtomicReference<Throwable> lost = new AtomicReference<>();
            Mqtt5BlockingClient c = MqttClient.builder().identifier("flows-shutdown").serverHost("127.0.0.1")
                    .serverPort(own.tcpPort()).useMqttVersion5()
                    .addDisconnectedListener(ctx -> lost.compareAndSet(null, ctx.getCause())).buildBlocking();
            c.connect();
            own.close();
            await().atMost(WAIT).until(() -> lost.get() != null);
            assertThat(((Mqtt5DisconnectException) lost.get()).getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5DisconnectReasonCode.SERVER_SHUTTING_DOWN);
        }
    }

    @Test
    void keepaliveTimesOutASilentClientAfterOneAndAHalfIntervals() throws Exception {
        try (Socket s = new Socket("127.0.0.1", broker.tcpPort())) {
            // MQTT 3.1.1 CONNECT, clean session, keepalive 1 s, client id "ka"
            s.getOutputStream().write(new byte[] {0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 1, 0, 2, 'k', 'a'});
            s.setSoTimeout((int) WAIT.toMillis());
            InputStream in = s.getInputStream();
            assertThat(in.readNBytes(4)).containsExactly(0x20, 2, 0, 0); // CONNACK accepted
            assertThat(in.read()).as("closed after 1.5 s of silence").isEqualTo(-1);
        }
    }

    @Test
    void startNamesTheListenerAndAddressWhenBindFails() throws Exception {
        List<ListenerSpec> taken = new ArrayList<>();
        taken.add(new ListenerSpec(ListenerSpec.Type.TCP, "busy", new InetSocketAddress("127.0.0.1", broker.tcpPort()),
                null, null, Integer.MAX_VALUE));
        MqttServer server = new MqttServer(BrokerSettings.defaults(), taken);
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("listener tcp:busy could not bind 127.0.0.1:" + broker.tcpPort());
        server.close();
    }
}

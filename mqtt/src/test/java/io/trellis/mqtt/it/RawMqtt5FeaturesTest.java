package io.trellis.mqtt.it;

import static io.trellis.mqtt.it.RawMqttClient.DISCONNECT;
import static io.trellis.mqtt.it.RawMqttClient.PUBACK;
import static io.trellis.mqtt.it.RawMqttClient.PUBLISH;
import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.mqtt.it.RawMqttClient.Packet;
import io.trellis.mqtt.it.RawMqttClient.Properties;
import io.trellis.mqtt.it.RawMqttClient.Publish;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5 features that client libraries hide (topic aliases, subscription identifiers, flow
 * control), checked byte by byte on raw sockets.
 */
class RawMqtt5FeaturesTest {
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

    @Test
    void topicAliasFromTheClientIsResolvedForSubscribers() throws IOException {
        String topic = Ids.topic("alias");
        try (RawMqttClient subscriber = raw(); RawMqttClient publisher = raw()) {
            subscriber.connect(Ids.client("alias-sub"), true, null);
            subscriber.subscribeAndAwait(1, topic, 1, null);
            Packet connack = publisher.connect(Ids.client("alias-pub"), true, null);
            assertThat(RawMqttClient.first(RawMqttClient.connackProperties(connack), RawMqttClient.TOPIC_ALIAS_MAXIMUM))
                    .as("CONNACK topic alias maximum").hasValueSatisfying(max -> assertThat((Integer) max).isPositive());

            publisher.publish(topic, 1, 1, Properties.none().u16(RawMqttClient.TOPIC_ALIAS, 1), "named");
            publisher.publish("", 1, 2, Properties.none().u16(RawMqttClient.TOPIC_ALIAS, 1), "by alias");

            List<Publish> got = List.of(nextPublish(subscriber), nextPublish(subscriber));
            assertThat(got).extracting(Publish::topic).containsExactly(topic, topic);
            assertThat(got).extracting(Publish::text).containsExactly("named", "by alias");
            assertThat(got).allSatisfy(p -> assertThat(p.properties()).as("no alias toward a client that allowed none")
                    .doesNotContainKey(RawMqttClient.TOPIC_ALIAS));
        }
    }

    /** MQTT 5 3.3.2.3.4: reason 0x94 as EMQX sends (mosquitto 2.0 answers 0x81 malformed instead). */
    @Test
    void topicAliasZeroIsAProtocolError() throws IOException {
        try (RawMqttClient publisher = raw()) {
            publisher.connect(Ids.client("alias0"), true, null);
            publisher.publish(Ids.topic("alias0"), 0, 0, Properties.none().u16(RawMqttClient.TOPIC_ALIAS, 0), "x");
            List<Packet> seen = publisher.awaitClosed();
            assertThat(seen).singleElement().satisfies(p -> {
                assertThat(p.type()).isEqualTo(DISCONNECT);
                assertThat(p.reasonCodeOrZero()).as("topic alias invalid").isEqualTo(0x94);
            });
        }
    }

    @Test
    void subscriptionIdentifiersComeBackWithMatchingMessages() throws IOException {
        String base = Ids.topic("subid");
        String other = Ids.topic("subid-other");
        try (RawMqttClient subscriber = raw(); RawMqttClient publisher = raw()) {
            subscriber.connect(Ids.client("subid-sub"), true, null);
            subscriber.subscribeAndAwait(1, base + "/+", 1, Properties.none().varInt(RawMqttClient.SUBSCRIPTION_ID, 7));
            subscriber.subscribeAndAwait(2, base + "/#", 1, Properties.none().varInt(RawMqttClient.SUBSCRIPTION_ID, 300));
            subscriber.subscribeAndAwait(3, other, 1, null);
            publisher.connect(Ids.client("subid-pub"), true, null);

            publisher.publish(base + "/x", 1, 1, null, "both");
            publisher.publish(other, 1, 2, null, "marker");

            List<Publish> matching = new ArrayList<>();
            Publish next;
            while (!(next = nextPublish(subscriber)).topic().equals(other)) {
                matching.add(next);
            }
            Set<Object> ids = new TreeSet<>();
            matching.forEach(p -> ids.addAll(p.properties().getOrDefault(RawMqttClient.SUBSCRIPTION_ID, List.of())));
            assertThat(matching).as("one copy with both ids or one copy per subscription").hasSizeBetween(1, 2);
            assertThat(ids).containsExactly(7, 300);
            assertThat(next.properties()).as("no identifier for a subscription made without one")
                    .doesNotContainKey(RawMqttClient.SUBSCRIPTION_ID);
        }
    }

    @Test
    void brokerRespectsTheClientsReceiveMaximum() throws IOException {
        String base = Ids.topic("recvmax");
        int receiveMaximum = 2;
        int messages = 6;
        try (RawMqttClient subscriber = raw(); RawMqttClient publisher = raw()) {
            subscriber.connect(Ids.client("recvmax-sub"), true,
                    Properties.none().u16(RawMqttClient.RECEIVE_MAXIMUM, receiveMaximum));
            subscriber.subscribeAndAwait(1, base + "/#", 1, null);
            publisher.connect(Ids.client("recvmax-pub"), true, null);
            for (int i = 1; i <= messages; i++) {
                publisher.publish(base + "/q1", 1, i, null, "m" + i);
                assertThat(publisher.read().type()).isEqualTo(PUBACK);
            }
            // QoS 0 is outside flow control, so it overtakes the QoS 1 messages held back
            publisher.publish(base + "/marker", 0, 0, null, "marker");

            List<Publish> beforeMarker = new ArrayList<>();
            Publish next;
            while (!(next = nextPublish(subscriber)).topic().endsWith("/marker")) {
                beforeMarker.add(next);
            }
            assertThat(beforeMarker).as("unacknowledged QoS 1 messages in flight").hasSize(receiveMaximum);

            List<String> all = new ArrayList<>();
            List<Publish> pending = new ArrayList<>(beforeMarker);
            while (all.size() < messages) {
                Publish publish = pending.isEmpty() ? nextPublish(subscriber) : pending.remove(0);
                all.add(publish.text());
                subscriber.puback(publish.packetId());
            }
            assertThat(all).containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
        }
    }

    /** As EMQX does; mosquitto 2.0 only closes the old connection, which fails this in reference mode. */
    @Test
    void takenOverConnectionGetsDisconnectSessionTakenOver() throws IOException {
        String id = Ids.client("takeover");
        try (RawMqttClient first = raw(); RawMqttClient second = raw()) {
            assertThat(first.connect(id, true, null).reasonCodeOrZero()).isZero();
            assertThat(second.connect(id, true, null).reasonCodeOrZero()).isZero();
            List<Packet> seen = first.awaitClosed();
            assertThat(seen).as("MQTT-3.1.4-3: DISCONNECT 0x8E to the existing client, then close")
                    .singleElement().satisfies(p -> {
                        assertThat(p.type()).isEqualTo(DISCONNECT);
                        assertThat(p.reasonCodeOrZero()).isEqualTo(0x8E);
                    });
        }
    }

    @Test
    void sessionIsGoneAfterItsExpiryInterval() throws IOException {
        String id = Ids.client("expiring-session");
        Properties oneSecond = Properties.none().u32(RawMqttClient.SESSION_EXPIRY, 1);
        try (RawMqttClient client = raw()) {
            client.connect(id, false, oneSecond);
            client.subscribeAndAwait(1, Ids.topic("expiring"), 1, null);
            client.send(new byte[] {(byte) 0xE0, 0});
            client.awaitClosed();
        }
        long expired = System.nanoTime() + java.time.Duration.ofMillis(2100).toNanos();
        // the clock has to pass the 1 s expiry: wait for the clock itself, not for the broker
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> System.nanoTime() > expired);
        try (RawMqttClient client = raw()) {
            Packet connack = client.connect(id, false, oneSecond);
            assertThat(connack.body()[0] & 1).as("session present after the expiry").isZero();
        }
        try (RawMqttClient keeper = raw()) {
            String kept = Ids.client("kept-session");
            keeper.connect(kept, false, Properties.none().u32(RawMqttClient.SESSION_EXPIRY, 300));
            keeper.send(new byte[] {(byte) 0xE0, 0});
            keeper.awaitClosed();
            try (RawMqttClient again = raw()) {
                assertThat(again.connect(kept, false, null).body()[0] & 1).as("session present").isEqualTo(1);
            }
        }
    }

    @Test
    void emptyClientIdGetsAnAssignedClientIdentifier() throws IOException {
        try (RawMqttClient client = raw()) {
            Packet connack = client.connect("", true, null);
            assertThat(connack.reasonCodeOrZero()).isZero();
            Map<Integer, List<Object>> properties = RawMqttClient.connackProperties(connack);
            assertThat(RawMqttClient.first(properties, RawMqttClient.ASSIGNED_CLIENT_ID))
                    .hasValueSatisfying(id -> assertThat((String) id).isNotBlank());
        }
    }

    private static Publish nextPublish(RawMqttClient client) throws IOException {
        Packet packet = client.read();
        if (packet.type() != PUBLISH) {
            throw new AssertionError("expected PUBLISH, got packet type " + packet.type());
        }
        return client.decodePublish(packet);
    }

    private static RawMqttClient raw() {
        return RawMqttClient.open(broker.port(Type.TCP), 5);
    }
}

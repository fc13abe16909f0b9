package io.trellis.mqtt.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.util.ReferenceCountUtil;
import io.trellis.mqtt.topic.TopicFilter;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session's QoS state machine on an EmbeddedChannel: in-flight window, queue bounds,
 * resend with DUP, QoS 2 release, packet ids, expiry. No sockets, no threads.
 */
class SessionTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static BrokerSettings settings(Map<String, Object> changes) throws Exception {
        BrokerSettings d = BrokerSettings.defaults();
        RecordComponent[] rc = BrokerSettings.class.getRecordComponents();
        Object[] values = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            values[i] = changes.getOrDefault(rc[i].getName(), rc[i].getAccessor().invoke(d));
        }
        return BrokerSettings.class.getDeclaredConstructor(types).newInstance(values);
    }

    private Session session(Broker broker, String id) {
        return broker.claim(id, false, new Object(), channel.eventLoop()).session();
    }

    private static Subscription subscribe(Session s, String filter, int qos) throws Exception {
        Subscription sub = new Subscription(s, TopicFilter.parse(filter, 128), qos, false, false, 0, 0);
        s.subscribe(sub);
        return sub;
    }

    private static Message msg(String topic, int qos, String body) {
        return new Message(topic, body.getBytes(), qos, false, MqttProperties.NO_PROPERTIES, "publisher", 0);
    }

    private List<MqttPublishMessage> publishesOut() {
        List<MqttPublishMessage> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (o instanceof MqttPublishMessage p) out.add(p);
            else ReferenceCountUtil.release(o);
        }
        // payloads wrap the message's byte[] (unpooled heap): nothing to release
        return out;
    }

    private List<MqttMessage> allOut() {
        List<MqttMessage> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            out.add((MqttMessage) o);
            ReferenceCountUtil.release(o);
        }
        return out;
    }

    @Test
    void inflightWindowHoldsBackUntilAcked() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        s.attach(channel, 5, 2, Integer.MAX_VALUE, 0, null);
        for (int i = 0; i < 5; i++) broker.publish(msg("t", 1, "m" + i));
        List<MqttPublishMessage> first = publishesOut();
        assertThat(first).hasSize(2);
        assertThat(s.info().inflightCnt()).isEqualTo(2);
        assertThat(s.info().mqueueLen()).isEqualTo(3);

        assertThat(s.onPuback(first.get(0).variableHeader().packetId())).isTrue();
        List<MqttPublishMessage> next = publishesOut();
        assertThat(next).hasSize(1);
        assertThat(new String(io.netty.buffer.ByteBufUtil.getBytes(next.get(0).payload()))).isEqualTo("m2");
        assertThat(s.onPuback(first.get(0).variableHeader().packetId())).as("second ack of one id").isFalse();
    }

    @Test
    void offlineQueueDropsOldestWhenFullAndCountsIt() throws Exception {
        Broker broker = new Broker(settings(Map.of("maxMqueueLen", 3)));
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        for (int i = 0; i < 5; i++) broker.publish(msg("t", 1, "m" + i));
        assertThat(s.info().mqueueLen()).isEqualTo(3);
        assertThat(s.info().mqueueDropped()).isEqualTo(2);
        assertThat(broker.metrics().counters()).containsEntry("messages.dropped", 2L)
                .containsEntry("delivery.dropped", 2L).containsEntry("delivery.dropped.queue_full", 2L);

        s.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        s.resume();
        assertThat(publishesOut()).extracting(p -> new String(io.netty.buffer.ByteBufUtil.getBytes(p.payload())))
                .containsExactly("m2", "m3", "m4");
    }

    /** Issue 3: a flood faster than a connected subscriber acknowledges overflows its queue; each drop is counted. */
    @Test
    void connectedSubscriberWithAFullWindowQueuesThenDropsOldestAndCountsEachDrop() throws Exception {
        Broker broker = new Broker(settings(Map.of("maxMqueueLen", 3, "maxInflight", 2)));
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        for (int i = 0; i < 10; i++) broker.publish(msg("t", 1, "m" + i));
        List<MqttPublishMessage> sent = publishesOut();
        assertThat(sent).extracting(p -> new String(io.netty.buffer.ByteBufUtil.getBytes(p.payload()))).containsExactly("m0", "m1");
        assertThat(broker.metrics().counters()).containsEntry("delivery.dropped.queue_full", 5L)
                .containsEntry("delivery.dropped", 5L).containsEntry("messages.dropped.queue_full", 5L);
        for (MqttPublishMessage p : sent) s.onPuback(p.variableHeader().packetId());
        assertThat(publishesOut()).extracting(p -> new String(io.netty.buffer.ByteBufUtil.getBytes(p.payload())))
                .containsExactly("m7", "m8");
    }

    @Test
    void qos0IsQueuedOfflineOnlyWhenConfigured() throws Exception {
        Broker broker = new Broker(settings(Map.of("mqueueStoreQos0", false)));
        Session s = session(broker, "c");
        subscribe(s, "t", 0);
        broker.publish(msg("t", 0, "x"));
        assertThat(s.info().mqueueLen()).isZero();
        assertThat(broker.metrics().counters().get("messages.dropped")).isEqualTo(1L);
    }

    @Test
    void unackedPublishIsResentWithDupOnResume() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        s.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        broker.publish(msg("t", 1, "once"));
        MqttPublishMessage sent = publishesOut().get(0);
        assertThat(sent.fixedHeader().isDup()).isFalse();
        s.detach();

        s.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        s.resume();
        MqttPublishMessage again = publishesOut().get(0);
        assertThat(again.fixedHeader().isDup()).isTrue();
        assertThat(again.variableHeader().packetId()).isEqualTo(sent.variableHeader().packetId());
    }

    @Test
    void qos2AfterPubrecResendsPubrelNotPublish() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 2);
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        broker.publish(msg("t", 2, "x"));
        int id = publishesOut().get(0).variableHeader().packetId();
        assertThat(s.onPubcomp(id)).as("PUBCOMP before PUBREC").isFalse();
        assertThat(s.onPubrec(id, false)).isTrue();
        s.detach();
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        s.resume();
        List<MqttMessage> out = allOut();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
        assertThat(((MqttMessageIdVariableHeader) out.get(0).variableHeader()).messageId()).isEqualTo(id);
        assertThat(s.onPubcomp(id)).isTrue();
        assertThat(s.info().inflightCnt()).isZero();
    }

    @Test
    void grantedQosCapsDeliveryUnlessUpgradeQos() throws Exception {
        Broker plain = new Broker(BrokerSettings.defaults());
        Session s = session(plain, "c");
        subscribe(s, "t", 0);
        s.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        plain.publish(msg("t", 1, "x"));
        assertThat(publishesOut().get(0).fixedHeader().qosLevel().value()).isZero();

        Broker upgrading = new Broker(settings(Map.of("upgradeQos", true)));
        Session u = session(upgrading, "u");
        subscribe(u, "t", 2);
        u.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        upgrading.publish(msg("t", 0, "x"));
        assertThat(publishesOut().get(0).fixedHeader().qosLevel().value()).isEqualTo(2);
    }

    @Test
    void expiredMessagesAreDroppedFromTheQueueAndRemainingExpiryIsSent() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        long now = System.currentTimeMillis();
        broker.publish(new Message("t", new byte[] {1}, 1, false, MqttProperties.NO_PROPERTIES, "p", now - 1));
        broker.publish(new Message("t", new byte[] {2}, 1, false, MqttProperties.NO_PROPERTIES, "p", now + 60_000));
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        s.resume();
        List<MqttPublishMessage> out = publishesOut();
        assertThat(out).hasSize(1);
        Object remaining = out.get(0).variableHeader().properties()
                .getProperty(MqttProperties.PUBLICATION_EXPIRY_INTERVAL).value();
        assertThat((Integer) remaining).isBetween(1, 60);
        assertThat(broker.metrics().counters()).containsEntry("messages.dropped.expired", 1L)
                .containsEntry("delivery.dropped.expired", 1L).containsEntry("delivery.dropped", 1L);
    }

    @Test
    void packetIdsSkipIdsStillInFlight() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 1);
        s.attach(channel, 4, 65535, Integer.MAX_VALUE, 0, null);
        broker.publish(msg("t", 1, "a"));
        int first = publishesOut().get(0).variableHeader().packetId();
        for (int i = 0; i < 65534; i++) { // wrap around: ids 2..65535 then 1 (in flight) must be skipped
            broker.publish(msg("t", 1, "b"));
            int id = publishesOut().get(0).variableHeader().packetId();
            s.onPuback(id);
        }
        broker.publish(msg("t", 1, "c"));
        assertThat(publishesOut().get(0).variableHeader().packetId()).isNotEqualTo(first);
    }

    @Test
    void clientMaximumPacketSizeDropsLargerMessages() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        subscribe(s, "t", 0);
        s.attach(channel, 5, 65535, 64, 0, null);
        broker.publish(msg("t", 0, "x".repeat(100)));
        broker.publish(msg("t", 0, "small"));
        assertThat(publishesOut()).hasSize(1);
        assertThat(broker.metrics().counters()).containsEntry("messages.dropped.too_large", 1L)
                .containsEntry("delivery.dropped.too_large", 1L).containsEntry("delivery.dropped", 1L);
    }

    @Test
    void subscriptionIdentifierAndUserPropertiesReachMqtt5Subscribers() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "c");
        s.subscribe(new Subscription(s, TopicFilter.parse("t/+", 128), 1, false, false, 0, 42));
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.UserProperty("k", "v"));
        props.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, "reply/here"));
        broker.publish(new Message("t/1", new byte[0], 1, false, props, "p", 0));
        MqttProperties got = publishesOut().get(0).variableHeader().properties();
        assertThat(got.getProperty(MqttProperties.SUBSCRIPTION_IDENTIFIER).value()).isEqualTo(42);
        assertThat(got.getProperty(MqttProperties.RESPONSE_TOPIC).value()).isEqualTo("reply/here");
        assertThat(got.getProperty(MqttProperties.USER_PROPERTY)).isNotNull();
    }

    @Test
    void noLocalAndIgnoreLoopDeliverStopOwnMessages() throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults());
        Session s = session(broker, "publisher");
        s.subscribe(new Subscription(s, TopicFilter.parse("t", 128), 0, true, false, 0, 0));
        s.attach(channel, 5, 65535, Integer.MAX_VALUE, 0, null);
        broker.publish(msg("t", 0, "mine"));
        assertThat(publishesOut()).isEmpty();
    }
}

package io.trellis.mqtt.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5 Reason Strings (and when they are left out) and the server's inbound Receive Maximum,
 * against bytes on an EmbeddedChannel with the real MQTT stages.
 */
class ReasonStringAndReceiveMaximumTest {
    private static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    private static final MqttVersion V5 = MqttVersion.MQTT_5;
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private EmbeddedChannel server;

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private void start(BrokerSettings settings) {
        server = new EmbeddedChannel();
        channels.add(server);
        new MqttPipeline(new Broker(settings)).addTo(server, new ListenerSpec(ListenerSpec.Type.TCP, "default",
                new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE));
    }

    /** Defaults with mqtt.max_awaiting_rel changed. */
    private static BrokerSettings maxAwaitingRel(int n) {
        BrokerSettings d = BrokerSettings.defaults();
        return new BrokerSettings(d.nodeName(), d.maxPacketSize(), d.maxClientIdLen(), d.maxTopicLevels(),
                d.maxQosAllowed(), d.maxTopicAlias(), d.retainAvailable(), d.wildcardSubscription(),
                d.sharedSubscription(), d.ignoreLoopDeliver(), d.idleTimeout(), d.keepaliveMultiplier(),
                d.serverKeepalive(), d.sessionExpiryInterval(), d.maxInflight(), d.retryInterval(), n,
                d.awaitRelTimeout(), d.maxMqueueLen(), d.mqueueStoreQos0(), d.upgradeQos(),
                d.sharedSubscriptionStrategy(), d.maxSendQueueBytes(), d.eventLoopThreads());
    }

    private void send(MqttMessage m) {
        EmbeddedChannel enc = new EmbeddedChannel(MqttEncoder.INSTANCE);
        channels.add(enc);
        enc.attr(VERSION).set(V5);
        enc.writeOutbound(m);
        ByteBuf bytes = enc.readOutbound();
        server.writeInbound(bytes);
    }

    private void sendRaw(byte[] bytes) {
        server.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    private List<MqttMessage> received() {
        EmbeddedChannel dec = new EmbeddedChannel(new MqttDecoder());
        channels.add(dec);
        dec.attr(VERSION).set(V5);
        server.runPendingTasks();
        Object o;
        while ((o = server.readOutbound()) != null) dec.writeInbound(o);
        List<MqttMessage> out = new ArrayList<>();
        while ((o = dec.readInbound()) != null) {
            out.add((MqttMessage) o);
            ReferenceCountUtil.release(o);
        }
        return out;
    }

    /** CONNECT as MQTT 5 with the given properties; returns the CONNACK. */
    private MqttConnAckMessage connect(MqttProperties props) {
        send(MqttMessageBuilders.connect().clientId("c").protocolVersion(V5).cleanSession(true).keepAlive(60)
                .properties(props).build());
        List<MqttMessage> out = received();
        assertThat(out).hasSize(1);
        return (MqttConnAckMessage) out.get(0);
    }

    private MqttConnAckMessage connect() {
        return connect(MqttProperties.NO_PROPERTIES);
    }

    private static MqttProperties props(int id, int value) {
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.IntegerProperty(id, value));
        return p;
    }

    private static String reasonString(MqttProperties p) {
        MqttProperties.MqttProperty<?> r = p.getProperty(MqttProperties.REASON_STRING);
        return r == null ? null : (String) r.value();
    }

    private static MqttReasonCodeAndPropertiesVariableHeader disconnect(List<MqttMessage> out) {
        MqttMessage last = out.get(out.size() - 1);
        assertThat(last.fixedHeader().messageType()).isEqualTo(MqttMessageType.DISCONNECT);
        return (MqttReasonCodeAndPropertiesVariableHeader) last.variableHeader();
    }

    private void publishWildcardTopic() {
        // v5 PUBLISH QoS 0 to "a/+" (no properties) built by hand: Netty's encoder would refuse it
        sendRaw(new byte[] {0x30, 8, 0, 3, 'a', '/', '+', 0, 'x'});
    }

    private static MqttMessage qos2(int packetId) {
        return MqttMessageBuilders.publish().topicName("t").qos(MqttQoS.EXACTLY_ONCE).messageId(packetId)
                .payload(Unpooled.wrappedBuffer(new byte[] {1})).build();
    }

    private static MqttMessage pubrel(int packetId) {
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    @Test
    void disconnectForAWildcardTopicSaysWhy() {
        start(BrokerSettings.defaults());
        connect();
        publishWildcardTopic();
        MqttReasonCodeAndPropertiesVariableHeader d = disconnect(received());
        assertThat(d.reasonCode()).as(String.valueOf(reasonString(d.properties()))).isEqualTo((byte) 0x90);
        assertThat(reasonString(d.properties())).contains("a/+").contains("wildcard");
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void packetTooLargeNamesTheSizeAndTheLimit() {
        start(BrokerSettings.defaults());
        connect();
        int size = 2 * 1024 * 1024;
        byte[] packet = new byte[1 + 4 + size];
        packet[0] = 0x30;
        int r = size;
        for (int i = 1; i <= 4; i++) {
            packet[i] = (byte) ((r & 0x7F) | (i < 4 ? 0x80 : 0));
            r >>>= 7;
        }
        sendRaw(packet);
        MqttReasonCodeAndPropertiesVariableHeader d = disconnect(received());
        assertThat(d.reasonCode()).isEqualTo((byte) 0x95);
        assertThat(reasonString(d.properties())).matches("packet too large: \\d+ bytes > mqtt.max_packet_size 1048576");
    }

    @Test
    void subackAndUnsubackFailuresSayWhyUnlessProblemInformationIsOff() {
        start(BrokerSettings.defaults());
        connect();
        send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, "a/#/b")
                .addSubscription(MqttQoS.AT_LEAST_ONCE, "ok/+").build());
        send(MqttMessageBuilders.unsubscribe().messageId(2).addTopicFilter("never/subscribed").build());
        List<MqttMessage> out = received();
        MqttSubAckMessage suback = (MqttSubAckMessage) out.get(0);
        assertThat(suback.payload().reasonCodes()).containsExactly(0x8F, 1);
        assertThat(reasonString(suback.idAndPropertiesVariableHeader().properties()))
                .startsWith("a/#/b: invalid filter:").doesNotContain("ok/+");
        MqttUnsubAckMessage unsuback = (MqttUnsubAckMessage) out.get(1);
        assertThat(unsuback.payload().unsubscribeReasonCodes()).containsExactly((short) 0x11);
        assertThat(reasonString(unsuback.idAndPropertiesVariableHeader().properties()))
                .isEqualTo("never/subscribed: no subscription existed");
    }

    @Test
    void requestProblemInformationZeroKeepsReasonStringsOnlyOnDisconnect() {
        start(BrokerSettings.defaults());
        connect(props(MqttProperties.REQUEST_PROBLEM_INFORMATION, 0));
        send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, "a/#/b").build());
        publishWildcardTopic();
        List<MqttMessage> out = received();
        MqttSubAckMessage suback = (MqttSubAckMessage) out.get(0);
        assertThat(suback.payload().reasonCodes()).containsExactly(0x8F);
        assertThat(reasonString(suback.idAndPropertiesVariableHeader().properties())).isNull();
        assertThat(reasonString(disconnect(out).properties())).contains("wildcard"); // MQTT-3.1.2-29 allows it here
    }

    @Test
    void reasonStringIsLeftOutWhenItWouldExceedTheClientsMaximumPacketSize() {
        start(BrokerSettings.defaults());
        connect(props(MqttProperties.MAXIMUM_PACKET_SIZE, 16));
        publishWildcardTopic();
        MqttReasonCodeAndPropertiesVariableHeader d = disconnect(received());
        assertThat(d.reasonCode()).as(String.valueOf(reasonString(d.properties()))).isEqualTo((byte) 0x90);
        assertThat(reasonString(d.properties())).isNull();
    }

    @Test
    void connackRefusalSaysWhy() {
        start(BrokerSettings.defaults());
        MqttConnAckMessage ack = connect(props(MqttProperties.RECEIVE_MAXIMUM, 0));
        assertThat(ack.variableHeader().connectReturnCode().byteValue()).isEqualTo((byte) 0x82);
        assertThat(reasonString(ack.variableHeader().properties())).contains("receive maximum");
    }

    @Test
    void packetSizeCountsHeaderPropertiesAndBody() {
        // DISCONNECT 0x90 with a 10-byte reason string: 1 + 1 (remaining 15) + 1 + 1 + 13
        assertThat(MqttConnection.packetSize(1, 13)).isEqualTo(17);
        assertThat(MqttConnection.packetSize(1, 0)).isEqualTo(4);
        assertThat(MqttConnection.packetSize(2, 200)).isEqualTo(1 + 2 + 2 + 2 + 200);
    }

    @Test
    void receiveMaximumIsAdvertisedAndEnforced() {
        start(maxAwaitingRel(2));
        MqttConnAckMessage ack = connect();
        assertThat(ack.variableHeader().properties().getProperty(MqttProperties.RECEIVE_MAXIMUM).value()).isEqualTo(2);
        send(qos2(1));
        send(qos2(2));
        send(pubrel(1)); // frees one slot of the quota
        send(qos2(3));
        send(qos2(2)); // a DUP of one in flight is no new PUBLISH
        assertThat(received()).extracting(m -> m.fixedHeader().messageType()).containsExactly(
                MqttMessageType.PUBREC, MqttMessageType.PUBREC, MqttMessageType.PUBCOMP, MqttMessageType.PUBREC,
                MqttMessageType.PUBREC);
        assertThat(server.isActive()).isTrue();

        send(qos2(4)); // 2 and 3 are unreleased: a third is one too many
        MqttReasonCodeAndPropertiesVariableHeader d = disconnect(received());
        assertThat(d.reasonCode()).isEqualTo((byte) 0x93);
        assertThat(reasonString(d.properties())).contains("Receive Maximum 2");
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void failedPubackCarriesReasonStringOnlyForFailures() {
        start(BrokerSettings.defaults());
        connect();
        send(qos2(9));
        send(pubrel(9));
        send(pubrel(9)); // unknown now: 0x92
        List<MqttMessage> out = received();
        MqttPubReplyMessageVariableHeader rec = (MqttPubReplyMessageVariableHeader) out.get(0).variableHeader();
        assertThat(reasonString(rec.properties())).isNull(); // 0x10 no matching subscribers is no failure
        MqttPubReplyMessageVariableHeader comp = (MqttPubReplyMessageVariableHeader) out.get(2).variableHeader();
        assertThat(comp.reasonCode()).isEqualTo((byte) 0x92);
        assertThat(reasonString(comp.properties())).isEqualTo("packet identifier 9 not found");
    }
}

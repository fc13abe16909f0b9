package io.trellis.mqtt.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
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
 * The connection state machine against bytes, on an EmbeddedChannel with the real MQTT stages:
 * what a client that breaks the rules gets back (reason codes), and that the connection closes.
 */
class MqttConnectionTest {
    private static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    private final Broker broker = new Broker(BrokerSettings.defaults());
    private final EmbeddedChannel server = new EmbeddedChannel();
    private final List<EmbeddedChannel> helpers = new ArrayList<>();

    MqttConnectionTest() {
        new MqttPipeline(broker).addTo(server, new ListenerSpec(ListenerSpec.Type.TCP, "default",
                new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE));
    }

    @AfterEach
    void close() {
        server.finishAndReleaseAll();
        helpers.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private void send(MqttVersion version, MqttMessage m) {
        EmbeddedChannel enc = new EmbeddedChannel(MqttEncoder.INSTANCE);
        helpers.add(enc);
        enc.attr(VERSION).set(version);
        enc.writeOutbound(m);
        ByteBuf bytes = enc.readOutbound();
        server.writeInbound(bytes);
    }

    private void sendRaw(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        sendRaw(b);
    }

    private void sendRaw(byte[] bytes) {
        server.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    /** Everything the server wrote, decoded as a client of that version would. */
    private List<MqttMessage> received(MqttVersion version) {
        EmbeddedChannel dec = new EmbeddedChannel(new MqttDecoder());
        helpers.add(dec);
        dec.attr(VERSION).set(version);
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

    private void connect(MqttVersion version, String id) {
        send(version, MqttMessageBuilders.connect().clientId(id).protocolVersion(version).cleanSession(true)
                .keepAlive(60).build());
    }

    private static byte reason(MqttMessage m) {
        return ((MqttReasonCodeAndPropertiesVariableHeader) m.variableHeader()).reasonCode();
    }

    @Test
    void acceptsConnectAndAnswersPing() {
        connect(MqttVersion.MQTT_3_1_1, "a");
        send(MqttVersion.MQTT_3_1_1, MqttMessage.PINGREQ);
        List<MqttMessage> out = received(MqttVersion.MQTT_3_1_1);
        assertThat(out).extracting(m -> m.fixedHeader().messageType())
                .containsExactly(MqttMessageType.CONNACK, MqttMessageType.PINGRESP);
        assertThat(((MqttConnAckMessage) out.get(0)).variableHeader().connectReturnCode())
                .isEqualTo(MqttConnectReturnCode.CONNECTION_ACCEPTED);
        assertThat(server.isActive()).isTrue();
    }

    @Test
    void firstPacketOtherThanConnectCloses() {
        send(MqttVersion.MQTT_3_1_1, MqttMessage.PINGREQ);
        assertThat(received(MqttVersion.MQTT_3_1_1)).isEmpty();
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void secondConnectIsAProtocolError() {
        connect(MqttVersion.MQTT_5, "a");
        connect(MqttVersion.MQTT_5, "a");
        List<MqttMessage> out = received(MqttVersion.MQTT_5);
        assertThat(out).hasSize(2);
        assertThat(out.get(1).fixedHeader().messageType()).isEqualTo(MqttMessageType.DISCONNECT);
        assertThat(reason(out.get(1))).isEqualTo((byte) 0x82);
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void unsupportedProtocolVersionGetsConnackAndClose() {
        // CONNECT with protocol level 7
        sendRaw(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 7, 2, 0, 60, 0, 1, 'x');
        List<MqttMessage> out = received(MqttVersion.MQTT_3_1_1);
        assertThat(((MqttConnAckMessage) out.get(0)).variableHeader().connectReturnCode())
                .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION);
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void emptyClientIdIsAssignedForMqtt5AndRefusedWithoutCleanSessionFor311() {
        send(MqttVersion.MQTT_5, MqttMessageBuilders.connect().clientId("").protocolVersion(MqttVersion.MQTT_5)
                .cleanSession(true).build());
        MqttConnAckMessage ack = (MqttConnAckMessage) received(MqttVersion.MQTT_5).get(0);
        assertThat(ack.variableHeader().connectReturnCode()).isEqualTo(MqttConnectReturnCode.CONNECTION_ACCEPTED);
        assertThat(ack.variableHeader().properties().getProperty(MqttProperties.ASSIGNED_CLIENT_IDENTIFIER)).isNotNull();

        MqttConnectionTest other = new MqttConnectionTest();
        try {
            other.send(MqttVersion.MQTT_3_1_1, MqttMessageBuilders.connect().clientId("")
                    .protocolVersion(MqttVersion.MQTT_3_1_1).cleanSession(false).build());
            MqttConnAckMessage refused = (MqttConnAckMessage) other.received(MqttVersion.MQTT_3_1_1).get(0);
            assertThat(refused.variableHeader().connectReturnCode())
                    .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED);
        } finally {
            other.close();
        }
    }

    @Test
    void wildcardInPublishTopicIsTopicNameInvalidForMqtt5() {
        connect(MqttVersion.MQTT_5, "a");
        // PUBLISH QoS 0 to "a/+" built by hand: Netty's encoder would refuse it
        sendRaw(0x30, 7, 0, 3, 'a', '/', '+', 0, 'x');
        List<MqttMessage> out = received(MqttVersion.MQTT_5);
        MqttMessage last = out.get(out.size() - 1);
        assertThat(last.fixedHeader().messageType()).isEqualTo(MqttMessageType.DISCONNECT);
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void qosAboveMaximumIsQosNotSupported() throws Exception {
        BrokerSettings d = BrokerSettings.defaults();
        BrokerSettings qos1 = new BrokerSettings(d.nodeName(), d.maxPacketSize(), d.maxClientIdLen(),
                d.maxTopicLevels(), 1, d.maxTopicAlias(), d.retainAvailable(), d.wildcardSubscription(),
                d.sharedSubscription(), d.ignoreLoopDeliver(), d.idleTimeout(), d.keepaliveMultiplier(),
                d.serverKeepalive(), d.sessionExpiryInterval(), d.maxInflight(), d.retryInterval(), d.maxAwaitingRel(),
                d.awaitRelTimeout(), d.maxMqueueLen(), d.mqueueStoreQos0(), d.upgradeQos(),
                d.sharedSubscriptionStrategy(), d.maxSendQueueBytes());
        EmbeddedChannel ch = new EmbeddedChannel();
        helpers.add(ch);
        new MqttPipeline(new Broker(qos1)).addTo(ch, new ListenerSpec(ListenerSpec.Type.TCP, "q",
                new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE));
        EmbeddedChannel enc = new EmbeddedChannel(MqttEncoder.INSTANCE);
        helpers.add(enc);
        enc.attr(VERSION).set(MqttVersion.MQTT_5);
        enc.writeOutbound(MqttMessageBuilders.connect().clientId("q").protocolVersion(MqttVersion.MQTT_5).build());
        enc.writeOutbound(MqttMessageBuilders.publish().topicName("t").qos(MqttQoS.EXACTLY_ONCE).messageId(1)
                .payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
        Object o;
        while ((o = enc.readOutbound()) != null) ch.writeInbound(o);
        EmbeddedChannel dec = new EmbeddedChannel(new MqttDecoder());
        helpers.add(dec);
        dec.attr(VERSION).set(MqttVersion.MQTT_5);
        ch.runPendingTasks();
        while ((o = ch.readOutbound()) != null) dec.writeInbound(o);
        dec.readInbound(); // CONNACK
        MqttMessage disconnect = dec.readInbound();
        assertThat(reason(disconnect)).isEqualTo((byte) 0x9B);
        assertThat(ch.isActive()).isFalse();
    }

    @Test
    void oversizedPacketIsPacketTooLarge() {
        connect(MqttVersion.MQTT_5, "a");
        int size = BrokerSettings.defaults().maxPacketSize() + 10;
        byte[] packet = new byte[1 + 4 + size];
        packet[0] = 0x30;
        int r = size;
        for (int i = 1; i <= 4; i++) {
            packet[i] = (byte) ((r & 0x7F) | (i < 4 ? 0x80 : 0));
            r >>>= 7;
        }
        sendRaw(packet);
        List<MqttMessage> out = received(MqttVersion.MQTT_5);
        assertThat(reason(out.get(out.size() - 1))).isEqualTo((byte) 0x95);
        assertThat(server.isActive()).isFalse();
    }

    @Test
    void invalidFilterGetsItsOwnSubackFailureAndOthersAreGranted() {
        connect(MqttVersion.MQTT_3_1_1, "a");
        send(MqttVersion.MQTT_3_1_1, MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(MqttQoS.AT_LEAST_ONCE, "a/#/b").addSubscription(MqttQoS.EXACTLY_ONCE, "ok/+").build());
        List<MqttMessage> out = received(MqttVersion.MQTT_3_1_1);
        MqttSubAckMessage ack = (MqttSubAckMessage) out.get(1);
        assertThat(ack.payload().reasonCodes()).containsExactly(0x80, 2);
        assertThat(server.isActive()).isTrue();
    }

    @Test
    void topicAliasBeyondMaximumIsTopicAliasInvalid() {
        connect(MqttVersion.MQTT_5, "a");
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, 0));
        send(MqttVersion.MQTT_5, MqttMessageBuilders.publish().topicName("t").qos(MqttQoS.AT_MOST_ONCE)
                .properties(props).payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
        List<MqttMessage> out = received(MqttVersion.MQTT_5);
        assertThat(reason(out.get(out.size() - 1))).isEqualTo((byte) 0x94);
    }

    @Test
    void qos2DuplicateIsNotRoutedTwice() {
        connect(MqttVersion.MQTT_3_1_1, "a");
        for (int i = 0; i < 2; i++) {
            send(MqttVersion.MQTT_3_1_1, MqttMessageBuilders.publish().topicName("t").qos(MqttQoS.EXACTLY_ONCE)
                    .messageId(7).payload(Unpooled.wrappedBuffer(new byte[] {1})).build());
        }
        List<MqttMessage> out = received(MqttVersion.MQTT_3_1_1);
        assertThat(out).extracting(m -> m.fixedHeader().messageType())
                .containsExactly(MqttMessageType.CONNACK, MqttMessageType.PUBREC, MqttMessageType.PUBREC);
        assertThat(broker.metrics().counters().get("messages.received")).isEqualTo(1L);
    }
}

package io.trellis.mqtt.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The hand-encoded shared QoS 0 PUBLISH is byte for byte what Netty's MqttEncoder writes. */
class SharedPublishEncodingTest {

    @ParameterizedTest
    @CsvSource({"a/b, 0, false, MQTT_3_1_1", "a/b, 64, true, MQTT_5", "t/ü/€, 200, false, MQTT_5",
            "x, 20000, true, MQTT_3_1_1"})
    void matchesNettyEncoder(String topic, int payloadSize, boolean retain, MqttVersion version) {
        byte[] payload = new byte[payloadSize];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) i;
        Message m = new Message(topic, payload, 0, retain, MqttProperties.NO_PROPERTIES, "p", 0);

        EmbeddedChannel netty = new EmbeddedChannel(MqttEncoder.INSTANCE);
        netty.attr(AttributeKey.<MqttVersion>valueOf("NETTY_CODEC_MQTT_VERSION")).set(version);
        netty.writeOutbound(new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.AT_MOST_ONCE, retain, 0),
                new MqttPublishVariableHeader(topic, 0, MqttProperties.NO_PROPERTIES), Unpooled.wrappedBuffer(payload)));
        ByteBuf expected = netty.readOutbound();

        ByteBuf ours = SharedPublishEncoding.encode(m, retain, version == MqttVersion.MQTT_5,
                PooledByteBufAllocator.DEFAULT);
        try {
            assertThat(ByteBufUtil.getBytes(ours)).isEqualTo(ByteBufUtil.getBytes(expected));
        } finally {
            ours.release();
            expected.release();
            netty.finishAndReleaseAll();
        }
    }
}

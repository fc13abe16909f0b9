package io.trellis.mqtt.transport;

import io.netty.channel.ChannelPipeline;

/** listeners.tcp: MQTT straight on the socket. */
final class TcpChannelInitializer extends MqttChannelInitializer {
    TcpChannelInitializer(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        super(spec, mqtt, maxPacketSize);
    }

    @Override
    protected void addTransportStages(ChannelPipeline pipeline) {
    }
}

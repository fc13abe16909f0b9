package io.trellis.mqtt.transport;

import io.netty.channel.ChannelPipeline;

/** listeners.ssl: TLS, then MQTT. */
final class SslChannelInitializer extends MqttChannelInitializer {
    SslChannelInitializer(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        super(spec, mqtt, maxPacketSize);
    }

    @Override
    protected void addTransportStages(ChannelPipeline pipeline) {
        pipeline.addLast(ChannelHandlerNames.SSL, spec.sslContext().newHandler(pipeline.channel().alloc()));
    }
}

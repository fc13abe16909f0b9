package io.trellis.mqtt.transport;

import io.netty.channel.ChannelPipeline;

/** listeners.wss: TLS, HTTP upgrade, then MQTT in binary WebSocket frames. */
final class WssChannelInitializer extends WsChannelInitializer {
    WssChannelInitializer(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        super(spec, mqtt, maxPacketSize);
    }

    @Override
    protected void addTransportStages(ChannelPipeline pipeline) {
        pipeline.addLast(ChannelHandlerNames.SSL, spec.sslContext().newHandler(pipeline.channel().alloc()));
        addWebSocketStages(pipeline);
    }
}

package io.trellis.mqtt.transport;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/** listeners.ws: HTTP upgrade on the listener's path, then MQTT in binary WebSocket frames. */
class WsChannelInitializer extends MqttChannelInitializer {
    /** The subprotocols MQTT clients ask for (mqtt.js, Paho, browsers). */
    static final String SUBPROTOCOLS = "mqtt, mqttv3.1, mqttv3.1.1, mqttv5";
    private static final int MAX_UPGRADE_REQUEST = 64 * 1024;

    WsChannelInitializer(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        super(spec, mqtt, maxPacketSize);
    }

    @Override
    protected void addTransportStages(ChannelPipeline pipeline) {
        addWebSocketStages(pipeline);
    }

    final void addWebSocketStages(ChannelPipeline pipeline) {
        String path = spec.wsPath() == null || spec.wsPath().isEmpty() ? "/mqtt" : spec.wsPath();
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(path)
                .subprotocols(SUBPROTOCOLS)
                .checkStartsWith(false)
                .maxFramePayloadLength(maxPacketSize)
                .handleCloseFrames(true)
                .build();
        pipeline.addLast(ChannelHandlerNames.HTTP_CODEC, new HttpServerCodec());
        pipeline.addLast(ChannelHandlerNames.HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_UPGRADE_REQUEST));
        pipeline.addLast(ChannelHandlerNames.WS_PROTOCOL, new WebSocketServerProtocolHandler(config));
        pipeline.addLast(ChannelHandlerNames.HTTP_NOT_FOUND, HttpNotFound.INSTANCE);
        pipeline.addLast(ChannelHandlerNames.WS_FRAME_CODEC, WebSocketFrameCodec.INSTANCE);
    }
}

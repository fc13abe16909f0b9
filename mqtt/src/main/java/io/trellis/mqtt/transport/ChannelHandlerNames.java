package io.trellis.mqtt.transport;

/** Names of the pipeline stages, in pipeline order, defined once (STYLE.md habit 1). */
public final class ChannelHandlerNames {
    private ChannelHandlerNames() {
    }

    public static final String CONNECTION_LIMIT = "connectionLimit";
    public static final String SSL = "ssl";
    public static final String HTTP_CODEC = "httpCodec";
    public static final String HTTP_AGGREGATOR = "httpAggregator";
    public static final String WS_PROTOCOL = "wsProtocol";
    public static final String HTTP_NOT_FOUND = "httpNotFound";
    public static final String WS_FRAME_CODEC = "wsFrameCodec";
    public static final String FLUSH_CONSOLIDATION = "flushConsolidation";
    public static final String TRAFFIC_COUNTER = "trafficCounter";
    public static final String MQTT_DECODER = "mqttDecoder";
    public static final String MQTT_ENCODER = "mqttEncoder";
    public static final String IDLE = "idle";
    public static final String MQTT_CONNECTION = "mqttConnection";
}

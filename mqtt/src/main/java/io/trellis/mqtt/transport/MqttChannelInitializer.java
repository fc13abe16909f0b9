package io.trellis.mqtt.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;

/**
 * Base of the per-listener-kind initializers: admission (max_connections), the kind's transport
 * stages (TLS, HTTP + WebSocket), then the MQTT stages. One subclass per listener kind.
 */
public abstract class MqttChannelInitializer extends ChannelInitializer<Channel> {
    protected final ListenerSpec spec;
    private final ConnectionLimit limit;
    private final MqttStages mqtt;
    /** The largest MQTT packet accepted (mqtt.max_packet_size); bounds WebSocket frames too. */
    protected final int maxPacketSize;

    protected MqttChannelInitializer(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        this.spec = spec;
        this.maxPacketSize = maxPacketSize;
        this.mqtt = mqtt;
        this.limit = new ConnectionLimit(spec.id(), spec.maxConnections());
    }

    public static MqttChannelInitializer forListener(ListenerSpec spec, MqttStages mqtt, int maxPacketSize) {
        if (spec.type().tls() && spec.sslContext() == null) {
            throw new IllegalArgumentException("listener " + spec.id() + " is " + spec.type().id()
                    + " but has no TLS context: set its certfile and keyfile");
        }
        return switch (spec.type()) {
            case TCP -> new TcpChannelInitializer(spec, mqtt, maxPacketSize);
            case SSL -> new SslChannelInitializer(spec, mqtt, maxPacketSize);
            case WS -> new WsChannelInitializer(spec, mqtt, maxPacketSize);
            case WSS -> new WssChannelInitializer(spec, mqtt, maxPacketSize);
        };
    }

    @Override
    protected final void initChannel(Channel ch) {
        if (!limit.admit(ch)) {
            ch.close();
            return;
        }
        addTransportStages(ch.pipeline());
        mqtt.addTo(ch, spec);
    }

    protected abstract void addTransportStages(ChannelPipeline pipeline);
}

package io.trellis.mqtt.connection;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.transport.ChannelHandlerNames;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.mqtt.transport.MqttStages;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT stages every listener kind shares: byte counting, flush consolidation (one syscall
 * for many PUBLISH), Netty's MQTT codec bounded by mqtt.max_packet_size, the CONNECT deadline
 * (mqtt.idle_timeout, later the keepalive) and the connection handler.
 */
public final class MqttPipeline implements MqttStages {
    private final Broker broker;
    private final TrafficCounter counter;
    private final java.util.Map<ListenerSpec, String> listenerIds = new java.util.concurrent.ConcurrentHashMap<>();

    public MqttPipeline(Broker broker) {
        this.broker = broker;
        this.counter = new TrafficCounter(broker.metrics());
    }

    @Override
    public void addTo(Channel channel, ListenerSpec listener) {
        ChannelPipeline p = channel.pipeline();
        int maxPacket = broker.settings().maxPacketSize();
        int maxClientId = broker.settings().maxClientIdLen();
        p.addLast(ChannelHandlerNames.FLUSH_CONSOLIDATION, new FlushConsolidationHandler(256, true));
        p.addLast(ChannelHandlerNames.TRAFFIC_COUNTER, counter);
        p.addLast(ChannelHandlerNames.MQTT_DECODER, new MqttDecoder(maxPacket, maxClientId));
        p.addLast(ChannelHandlerNames.MQTT_ENCODER, MqttEncoder.INSTANCE);
        p.addLast(ChannelHandlerNames.IDLE, new IdleStateHandler(
                broker.settings().idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast(ChannelHandlerNames.MQTT_CONNECTION, new MqttConnection(broker,
                listenerIds.computeIfAbsent(listener, ListenerSpec::id)));
    }
}

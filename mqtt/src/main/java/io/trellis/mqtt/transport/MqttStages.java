package io.trellis.mqtt.transport;

import io.netty.channel.Channel;

/** Adds the MQTT stages (codec, keepalive, connection handler) after a listener's transport stages. */
@FunctionalInterface
public interface MqttStages {
    void addTo(Channel channel, ListenerSpec listener);
}

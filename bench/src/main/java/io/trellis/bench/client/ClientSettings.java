package io.trellis.bench.client;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslContext;

/** What every bench connection shares: where to connect, how, and as whom. */
public record ClientSettings(String host, int port, MqttVersion version, SslContext ssl, String username,
                             byte[] password, int keepaliveSeconds, MqttQoS qos, int inflight) {
}

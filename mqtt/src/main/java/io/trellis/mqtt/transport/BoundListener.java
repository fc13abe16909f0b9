package io.trellis.mqtt.transport;

import java.net.InetSocketAddress;

/** A listener that is open, with the port it really got. CONTRACT. */
public record BoundListener(ListenerSpec spec, InetSocketAddress address) {
    public int port() {
        return address.getPort();
    }
}

package io.trellis.mqtt;

import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.ListenerSpec;
import java.util.List;

/**
 * One node's MQTT side: the broker and its listeners. CONTRACT: public signatures fixed.
 * Lifecycle: construct, {@link #start()}, {@link #close()} (idempotent).
 */
public final class MqttServer implements AutoCloseable {

    public MqttServer(BrokerSettings settings, List<ListenerSpec> listeners) {
        throw new UnsupportedOperationException("not yet built");
    }

    /**
     * Binds every listener. On failure closes what it opened and throws
     * {@link IllegalStateException} naming the listener and address ("listener tcp:default could
     * not bind 0.0.0.0:1883: Address already in use").
     */
    public void start() {
        throw new UnsupportedOperationException("not yet built");
    }

    public List<BoundListener> boundListeners() {
        throw new UnsupportedOperationException("not yet built");
    }

    public BrokerAdmin admin() {
        throw new UnsupportedOperationException("not yet built");
    }

    /** Stops accepting, disconnects clients (MQTT 5: 0x8B server shutting down), frees threads. */
    @Override
    public void close() {
    }
}

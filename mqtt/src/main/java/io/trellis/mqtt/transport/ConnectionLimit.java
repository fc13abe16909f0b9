package io.trellis.mqtt.transport;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's max_connections: a connection above the limit is closed at accept, before any
 * byte is read. One per listener, shared by its channels.
 */
final class ConnectionLimit {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);

    private final String listenerId;
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean warned;

    ConnectionLimit(String listenerId, int max) {
        this.listenerId = listenerId;
        this.max = max;
    }

    /** Counts the channel in until it closes, or returns false if the listener is full. */
    boolean admit(Channel ch) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            if (!warned) {
                warned = true; // once per listener, not once per refused socket
                LOG.warn("listener {} reached max_connections = {}; refusing new connections", listenerId, max);
            }
            return false;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        return true;
    }
}

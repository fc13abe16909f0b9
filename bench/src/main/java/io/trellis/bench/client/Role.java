package io.trellis.bench.client;

/**
 * What one connection does once connected.
 *
 * @see Publisher
 * @see Subscriber
 */
public sealed interface Role permits Role.Publisher, Role.Subscriber, Role.Idle {
    /**
     * Publishes to topic, one message every intervalNanos (0 = as fast as the socket and the
     * inflight window allow), count messages in all (0 = until stopped).
     */
    record Publisher(String topic, int payloadSize, long intervalNanos, long count) implements Role {
    }

    /** Subscribes to filter and counts what arrives. */
    record Subscriber(String filter) implements Role {
    }

    /** Connects and stays idle (keepalive pings only). */
    record Idle() implements Role {
    }
}

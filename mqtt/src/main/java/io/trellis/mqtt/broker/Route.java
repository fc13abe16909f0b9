package io.trellis.mqtt.broker;

/** What a filter in the subscription tree leads to: one subscription, or a share group. */
public interface Route {
    /** Delivers the message on this route; returns the number of receivers (0 or 1). */
    int deliver(Message message);
}

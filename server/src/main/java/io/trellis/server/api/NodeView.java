package io.trellis.server.api;

import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.transport.BoundListener;
import java.util.List;

/** What the management API needs to know about the node it serves. */
public interface NodeView {
    String nodeName();

    String version();

    long startedAtMillis();

    BrokerAdmin broker();

    List<BoundListener> listeners();
}

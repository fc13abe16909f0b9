package io.trellis.server.api;

import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.server.cluster.ClusterControl;
import java.util.List;

/** What the management API needs to know about the node it serves. */
public interface NodeView {
    String nodeName();

    String version();

    long startedAtMillis();

    BrokerAdmin broker();

    List<BoundListener> listeners();

    /** The management API's own address, for ctl ports; null when unknown. */
    default java.net.InetSocketAddress apiAddress() {
        return null;
    }

    /** TLS of the inter-node channels (rpc.driver, cluster.proto_dist), reloadable; null when the node has no cluster settings. */
    default io.trellis.cluster.transport.TransportSecurity transportSecurity() {
        return null;
    }

    /** The node's cluster, or why it runs alone. */
    default ClusterControl cluster() {
        return ClusterControl.alone(nodeName(), "this node does not cluster");
    }
}

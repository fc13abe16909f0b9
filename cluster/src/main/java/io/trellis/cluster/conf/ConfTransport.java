package io.trellis.cluster.conf;

import io.trellis.cluster.NodeName;
import java.util.Set;

/** What the log needs of the cluster: who is there, and an ordered message channel to each peer. */
public interface ConfTransport {
    NodeName self();

    /** Peers connected now (not this node). */
    Set<NodeName> upNodes();

    /** Every peer this node knows of, up or down (not this node). */
    Set<NodeName> knownNodes();

    /** Sends in call order on the peer's connection; false if it is not up. */
    boolean send(NodeName peer, byte[] body);

    /** Calls the log on peer messages (only those {@link ConfMessage#isConf} accepts) and on a peer up. */
    void listen(Listener listener);

    interface Listener {
        void received(NodeName from, byte[] body);

        void peerUp(NodeName peer);
    }

    /** A node alone: no peers, nothing to send. */
    static ConfTransport alone(NodeName self) {
        return new ConfTransport() {
            @Override
            public NodeName self() {
                return self;
            }

            @Override
            public Set<NodeName> upNodes() {
                return Set.of();
            }

            @Override
            public Set<NodeName> knownNodes() {
                return Set.of();
            }

            @Override
            public boolean send(NodeName peer, byte[] body) {
                return false;
            }

            @Override
            public void listen(Listener listener) {
            }
        };
    }
}

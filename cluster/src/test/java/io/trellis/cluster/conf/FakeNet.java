package io.trellis.cluster.conf;

import io.trellis.cluster.NodeName;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** In-memory peers for the log: every node knows every other; a node cut off sees nobody and nobody sees it. */
final class FakeNet {
    private final Map<NodeName, ConfTransport.Listener> listeners = new ConcurrentHashMap<>();
    private final Set<NodeName> members = ConcurrentHashMap.newKeySet();
    private final Set<NodeName> cut = ConcurrentHashMap.newKeySet();
    private volatile Lost lost = (from, to, type) -> false;

    /** Which messages the network loses (the sender sees them sent): by sender, receiver and message type. */
    interface Lost {
        boolean test(NodeName from, NodeName to, int type);
    }

    void lose(Lost which) {
        lost = which;
    }

    void loseNothing() {
        lost = (from, to, type) -> false;
    }

    ConfTransport transport(NodeName self) {
        members.add(self);
        return new ConfTransport() {
            @Override
            public NodeName self() {
                return self;
            }

            @Override
            public Set<NodeName> upNodes() {
                if (cut.contains(self)) {
                    return Set.of();
                }
                return members.stream().filter(n -> !n.equals(self) && !cut.contains(n) && listeners.containsKey(n))
                        .collect(Collectors.toSet());
            }

            @Override
            public Set<NodeName> knownNodes() {
                return members.stream().filter(n -> !n.equals(self)).collect(Collectors.toSet());
            }

            @Override
            public boolean send(NodeName peer, byte[] body) {
                if (!upNodes().contains(peer)) {
                    return false;
                }
                if (!lost.test(self, peer, body[0] & 0xFF)) {
                    listeners.get(peer).received(self, body);
                }
                return true;
            }

            @Override
            public void listen(Listener listener) {
                listeners.put(self, listener);
            }
        };
    }

    void cut(NodeName n) {
        cut.add(n);
    }

    /** Reconnects the node: both sides see a peer up, as distribution does. */
    void heal(NodeName n) {
        cut.remove(n);
        for (Map.Entry<NodeName, ConfTransport.Listener> e : listeners.entrySet()) {
            if (e.getKey().equals(n)) {
                continue;
            }
            e.getValue().peerUp(n);
            ConfTransport.Listener mine = listeners.get(n);
            if (mine != null) {
                mine.peerUp(e.getKey());
            }
        }
    }

    void gone(NodeName n) {
        listeners.remove(n);
    }
}

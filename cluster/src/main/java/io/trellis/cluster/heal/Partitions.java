package io.trellis.cluster.heal;

import io.trellis.cluster.NodeName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * This node's memory of its peers across disconnections, to tell a healed partition from a
 * restart and to apply {@code cluster.autoheal}.
 *
 * <p>A peer that went down and comes back with the same start time (its NODE_INFO), and that saw
 * this node down too (SAW_YOU_DOWN before its NODE_INFO), ran all along: the two sides were
 * partitioned, each kept serving clients, and their state diverged. Only one side seeing the other
 * down is not a partition but a replaced connection (both nodes dialled at once, see
 * {@code Distribution}): the other side kept its connection and lost nothing. A peer
 * that comes back with another start time restarted: it lost its in-memory state and joins like a
 * new node. (This is how Erlang's mnesia tells {@code running_partitioned_network} apart, which
 * EMQX's autoheal reacts to.) With autoheal on, a healed partition merges at once; with autoheal
 * off the peer is held apart: connected on the network, but no state is exchanged and nothing is
 * forwarded until the operator merges ({@link #release}), or the peer restarts.
 *
 * <p>Thread-safe (one lock); the cluster calls it from the membership thread and from management calls.
 */
public final class Partitions {
    /** What to do with a peer's NODE_INFO. */
    public enum Verdict {
        /** A new peer, a restarted one, or a reconnection with nothing missed: the usual full exchange. */
        MERGE,
        /** Back after a partition, cluster.autoheal = true: merge (the full exchange reconciles). */
        HEALED,
        /** Back after a partition, the operator asked to merge (join): merge and tell the peer to merge too. */
        MERGE_ON_COMMAND,
        /** Back after a partition, cluster.autoheal = false: keep apart and tell the operator (once). */
        HOLD,
        /** Still held apart (it reconnected again, or re-sent its NODE_INFO): nothing new to say. */
        STILL_HELD
    }

    private final boolean autoheal;
    /** Start time each peer reported last: its incarnation. */
    private final Map<NodeName, Long> incarnations = new HashMap<>();
    /** Peers that went down since their last NODE_INFO. */
    private final Set<NodeName> wentDown = new HashSet<>();
    private final Set<NodeName> held = new TreeSet<>();
    /** Peers that said they saw this node down, for their next NODE_INFO. */
    private final Set<NodeName> sawMeDown = new HashSet<>();
    /** Peers the operator asked to merge with while they were not (yet) connected. */
    private final Set<NodeName> mergeRequested = new HashSet<>();

    public Partitions(boolean autoheal) {
        this.autoheal = autoheal;
    }

    public boolean autoheal() {
        return autoheal;
    }

    /** {@code peer} said who it is (first message on every new distribution connection). */
    public synchronized Verdict nodeInfo(NodeName peer, long startedAtMillis) {
        Long before = incarnations.put(peer, startedAtMillis);
        boolean sameIncarnation = before != null && before == startedAtMillis;
        boolean returned = wentDown.remove(peer) & sawMeDown.remove(peer) && sameIncarnation;
        if (mergeRequested.remove(peer)) {
            held.remove(peer);
            return returned ? Verdict.MERGE_ON_COMMAND : Verdict.MERGE;
        }
        if (held.contains(peer)) {
            if (sameIncarnation) {
                return Verdict.STILL_HELD;
            }
            held.remove(peer); // restarted: nothing of the old side is left to merge
            return Verdict.MERGE;
        }
        if (!returned) {
            return Verdict.MERGE;
        }
        if (autoheal) {
            return Verdict.HEALED;
        }
        held.add(peer);
        return Verdict.HOLD;
    }

    /** {@code peer}'s distribution connection is gone (network, crash or shutdown). */
    public synchronized void down(NodeName peer) {
        if (incarnations.containsKey(peer)) {
            wentDown.add(peer);
        }
    }

    /** Whether this node saw {@code peer} down since its last NODE_INFO: then tell it (SAW_YOU_DOWN) before NODE_INFO. */
    public synchronized boolean sawDown(NodeName peer) {
        return wentDown.contains(peer);
    }

    /** {@code peer} saw this node down (its SAW_YOU_DOWN; its NODE_INFO follows). */
    public synchronized void peerSawMeDown(NodeName peer) {
        sawMeDown.add(peer);
    }

    /** {@code peer} left or was removed by the operator: a later join is a new start. */
    public synchronized void forget(NodeName peer) {
        incarnations.remove(peer);
        wentDown.remove(peer);
        sawMeDown.remove(peer);
        held.remove(peer);
        mergeRequested.remove(peer);
    }

    /** This node left its cluster. */
    public synchronized void forgetAll() {
        incarnations.clear();
        wentDown.clear();
        sawMeDown.clear();
        held.clear();
        mergeRequested.clear();
    }

    public synchronized boolean isHeld(NodeName peer) {
        return held.contains(peer);
    }

    /** Peers held apart now, sorted. */
    public synchronized Set<NodeName> held() {
        return new TreeSet<>(held);
    }

    /** The operator merges: every peer held apart is released; returns them. */
    public synchronized Set<NodeName> release() {
        Set<NodeName> released = new TreeSet<>(held);
        held.clear();
        return released;
    }

    /** Releases one peer (it asked to merge); false if it was not held. */
    public synchronized boolean release(NodeName peer) {
        return held.remove(peer);
    }

    /**
     * The operator joins {@code peer}: if this node knows it from before a partition, its next
     * NODE_INFO merges instead of holding (the peer is not connected now, or was forgotten by autoclean).
     */
    public synchronized void mergeRequested(NodeName peer) {
        if (incarnations.containsKey(peer)) {
            mergeRequested.add(peer);
        }
    }
}

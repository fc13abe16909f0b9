package io.trellis.cluster.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * This node's routes, which only this node writes: every change gets the next sequence number
 * and goes out as a delta, in order, to every peer; a full copy (with the sequence number it is
 * current at) goes to a peer on (re)connect and when it asks after a gap. Changes and their
 * broadcast happen under one lock so the sequence order is the send order.
 */
public final class LocalRoutes {
    private final Set<String> filters = new LinkedHashSet<>();
    private final Set<DataMessage.SharedRoute> shared = new LinkedHashSet<>();
    private final Consumer<DataMessage> broadcast;
    private long seq;

    /** @param broadcast sends a message to every peer that is up (called under this object's lock) */
    public LocalRoutes(Consumer<DataMessage> broadcast) {
        this.broadcast = broadcast;
    }

    public synchronized void change(DataMessage.RouteOp op) {
        boolean changed = switch (op.op()) {
            case DataMessage.RouteOp.ADD -> filters.add(op.filter());
            case DataMessage.RouteOp.REMOVE -> filters.remove(op.filter());
            case DataMessage.RouteOp.SHARED_ADD -> shared.add(new DataMessage.SharedRoute(op.group(), op.filter()));
            case DataMessage.RouteOp.SHARED_REMOVE -> shared.remove(new DataMessage.SharedRoute(op.group(), op.filter()));
            default -> false;
        };
        if (changed) {
            seq++;
            broadcast.accept(new DataMessage.RouteDeltaV1(seq, List.of(op)));
        }
    }

    /** Replaces everything (on install: what the broker already had), as one change. */
    public synchronized void reset(Set<String> newFilters, Set<DataMessage.SharedRoute> newShared) {
        filters.clear();
        filters.addAll(newFilters);
        shared.clear();
        shared.addAll(newShared);
        seq++;
        broadcast.accept(full());
    }

    /** The full copy, current at the last sequence number. */
    public synchronized DataMessage.RoutesFullV1 full() {
        return new DataMessage.RoutesFullV1(seq, new ArrayList<>(filters), new ArrayList<>(shared));
    }

    public synchronized boolean hasShared(String group, String filter) {
        return shared.contains(new DataMessage.SharedRoute(group, filter));
    }
}

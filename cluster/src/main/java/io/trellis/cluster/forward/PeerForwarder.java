package io.trellis.cluster.forward;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.mqtt.broker.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards messages to one peer over its {@code rpc.client_num} RPC connections. One lane per
 * connection; a message's lane is picked by hash of its topic (the RPC rule), and a lane is
 * FIFO, so per-topic order holds. Messages wait in the lane until its flush task runs on this
 * forwarder's executor: whatever accumulated by then goes in one FORWARD frame (batching).
 *
 * <p>Backpressure, never an unbounded queue: while the lane's connection is not writable (or
 * down), QoS 0 messages are dropped and counted; QoS 1/2 messages wait, together with those sent
 * but not yet acknowledged, up to {@code maxHeld} per lane; beyond that they are dropped and
 * counted. A batch with QoS 1/2 messages carries an id the receiver acknowledges once its broker
 * has them; a batch not acknowledged within {@code ackTimeout} (a lost connection) is sent again
 * once the connection is back. Limits: a resend after a lost acknowledgement can deliver a
 * message twice (at least once across nodes, also for QoS 2), and a resent batch may arrive after
 * newer messages of its topic. When the peer goes down the forwarder is closed and what it holds
 * is dropped and counted (the peer's routes are gone too), or handed back ({@link #closeAndTakeHeld}).
 */
public final class PeerForwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerForwarder.class);
    private static final int MAX_BATCH_MESSAGES = 512;
    private static final int MAX_BATCH_BYTES = 1024 * 1024;
    /** QoS 0 messages waiting per lane beyond which new ones are dropped: a bound on queueing delay. */
    private static final int MAX_PENDING_QOS0 = 4 * MAX_BATCH_MESSAGES;

    private final NodeName peer;
    private final RpcClient rpc;
    private final EventExecutor executor;
    private final int maxHeld;
    private final long ackTimeoutNanos;
    private final LongAdder dropped;
    private final Lane[] lanes;
    private final ScheduledFuture<?> ticker;
    private volatile boolean closed;

    private static final class Batch {
        final List<ForwardFrame.Entry> entries;
        long sentAtNanos;

        Batch(List<ForwardFrame.Entry> entries) {
            this.entries = entries;
        }
    }

    /** One connection's queue. Guarded by its own lock. */
    private final class Lane {
        final int index;
        final ArrayDeque<ForwardFrame.Entry> pending = new ArrayDeque<>();
        final Map<Long, Batch> unacked = new LinkedHashMap<>();
        int held; // QoS 1/2 messages pending or unacknowledged
        long nextBatch;
        boolean flushScheduled;

        Lane(int index) {
            this.index = index;
        }

        long nextBatchId() {
            nextBatch++;
            return (nextBatch << 8) | index; // the lane travels in the id, for the acknowledgement
        }
    }

    /**
     * @param dropped counts every message dropped by backpressure, a full queue or a peer down
     */
    public PeerForwarder(NodeName peer, RpcClient rpc, EventExecutor executor, int maxHeld, java.time.Duration ackTimeout,
                         LongAdder dropped) {
        if (rpc.clientNum() > 256) {
            throw new IllegalArgumentException("at most 256 RPC connections per peer");
        }
        this.peer = peer;
        this.rpc = rpc;
        this.executor = executor;
        this.maxHeld = maxHeld;
        this.ackTimeoutNanos = ackTimeout.toNanos();
        this.dropped = dropped;
        this.lanes = new Lane[rpc.clientNum()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(i);
        }
        rpc.onReply((from, frame) -> onReply(frame));
        long tick = Math.max(50, ackTimeout.toMillis() / 4);
        this.ticker = executor.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    public NodeName peer() {
        return peer;
    }

    /** Any thread: queues a message for the peer; group/filter name a share group target, else null. */
    public void forward(Message message, String group, String filter) {
        Lane lane = lanes[RpcClient.connectionIndex(message.topic(), lanes.length)];
        synchronized (lane) {
            if (closed) {
                dropped.increment();
                return;
            }
            if (message.qos() == 0 ? !rpc.isWritable(lane.index) || lane.pending.size() >= MAX_PENDING_QOS0 : lane.held >= maxHeld) {
                dropped.increment();
                if (message.qos() == 0) {
                    rpc.ensureConnected(lane.index);
                }
                return;
            }
            lane.pending.addLast(new ForwardFrame.Entry(message, group, filter));
            if (message.qos() > 0) {
                lane.held++;
            }
            scheduleFlush(lane);
        }
    }

    /**
     * Under the lane's lock. The flush runs on the connection's own event loop when it is up, so
     * the frame is written without another thread hop and writability is exact.
     */
    private void scheduleFlush(Lane lane) {
        if (lane.flushScheduled) {
            return;
        }
        lane.flushScheduled = true;
        EventExecutor loop = rpc.eventLoop(lane.index);
        (loop != null ? loop : executor).execute(() -> flush(lane));
    }

    private void flush(Lane lane) {
        {
            ForwardFrame.ForwardV1 forward;
            synchronized (lane) {
                lane.flushScheduled = false;
                if (closed || lane.pending.isEmpty()) {
                    return;
                }
                if (!rpc.isWritable(lane.index)) {
                    dropQos0(lane); // QoS 1/2 wait for the tick
                    rpc.ensureConnected(lane.index);
                    return;
                }
                List<ForwardFrame.Entry> batch = new ArrayList<>();
                int bytes = 0;
                boolean acked = false;
                while (!lane.pending.isEmpty() && batch.size() < MAX_BATCH_MESSAGES && bytes < MAX_BATCH_BYTES) {
                    ForwardFrame.Entry e = lane.pending.pollFirst();
                    batch.add(e);
                    bytes += e.message().payload().length + e.message().topic().length() + 32;
                    acked |= e.message().qos() > 0;
                }
                long id = 0;
                if (acked) {
                    id = lane.nextBatchId();
                    List<ForwardFrame.Entry> held = new ArrayList<>();
                    for (ForwardFrame.Entry e : batch) {
                        if (e.message().qos() > 0) {
                            held.add(e);
                        }
                    }
                    Batch b = new Batch(held);
                    b.sentAtNanos = System.nanoTime();
                    lane.unacked.put(id, b);
                }
                forward = new ForwardFrame.ForwardV1(id, batch);
            }
            // Encoded outside the lock: publishers adding to this lane do not wait for it.
            rpc.send(lane.index, forward.encode(io.netty.buffer.PooledByteBufAllocator.DEFAULT));
            synchronized (lane) {
                // The rest goes in a later task, after the loop has flushed this frame to the socket.
                if (!closed && !lane.pending.isEmpty()) {
                    scheduleFlush(lane);
                }
            }
        }
    }

    private void dropQos0(Lane lane) {
        Iterator<ForwardFrame.Entry> it = lane.pending.iterator();
        while (it.hasNext()) {
            if (it.next().message().qos() == 0) {
                it.remove();
                dropped.increment();
            }
        }
    }

    private void onReply(ByteBuf frame) {
        try {
            if (ForwardFrame.decode(frame) instanceof ForwardFrame.AckV1 ack) {
                Lane lane = lanes[(int) (ack.batchId() & 0xFF) % lanes.length];
                synchronized (lane) {
                    Batch b = lane.unacked.remove(ack.batchId());
                    if (b != null) {
                        lane.held -= b.entries.size();
                    }
                }
            }
        } catch (ForwardFrame.Malformed e) {
            LOG.warn("ignoring a malformed answer from {}: {}", peer, e.getMessage());
        }
    }

    /** Resends batches not acknowledged in time (once the connection is back) and flushes what waits. */
    private void tick() {
        long now = System.nanoTime();
        for (Lane lane : lanes) {
            synchronized (lane) {
                if (closed) {
                    return;
                }
                boolean idle = lane.pending.isEmpty() && lane.unacked.isEmpty();
                if (idle || !rpc.ensureConnected(lane.index) || !rpc.isWritable(lane.index)) {
                    continue;
                }
                List<ForwardFrame.Entry> again = new ArrayList<>();
                Iterator<Batch> it = lane.unacked.values().iterator();
                while (it.hasNext()) {
                    Batch b = it.next();
                    if (now - b.sentAtNanos >= ackTimeoutNanos) {
                        again.addAll(b.entries);
                        lane.held -= b.entries.size();
                        it.remove();
                    }
                }
                // Unacknowledged messages go first: they are older than what is pending.
                for (int i = again.size() - 1; i >= 0; i--) {
                    lane.pending.addFirst(again.get(i));
                    lane.held++;
                }
                if (!lane.pending.isEmpty()) {
                    scheduleFlush(lane);
                }
            }
        }
    }

    /** Messages held (pending or unacknowledged) for the peer. */
    public int held() {
        int n = 0;
        for (Lane lane : lanes) {
            synchronized (lane) {
                n += lane.pending.size() + lane.unacked.values().stream().mapToInt(b -> b.entries.size()).sum();
            }
        }
        return n;
    }

    /** Drops and counts what is held; closes the connections. */
    @Override
    public void close() {
        List<ForwardFrame.Entry> held = closeAndTakeHeld();
        if (!held.isEmpty()) {
            dropped.add(held.size());
            LOG.info("dropped {} messages held for {}, which is gone", held.size(), peer);
        }
    }

    /**
     * Closes like {@link #close}, but hands back the QoS 1/2 messages held (sent but not
     * acknowledged, then waiting), lane by lane in order, instead of dropping them: the peer may
     * not be gone at all (a node-down from starved heartbeats), and the caller may forward them
     * again. Waiting QoS 0 messages are dropped and counted.
     */
    public List<ForwardFrame.Entry> closeAndTakeHeld() {
        closed = true;
        ticker.cancel(false);
        List<ForwardFrame.Entry> held = new ArrayList<>();
        for (Lane lane : lanes) {
            synchronized (lane) {
                for (Batch b : lane.unacked.values()) {
                    held.addAll(b.entries);
                }
                for (ForwardFrame.Entry e : lane.pending) {
                    if (e.message().qos() > 0) {
                        held.add(e);
                    } else {
                        dropped.increment();
                    }
                }
                lane.pending.clear();
                lane.unacked.clear();
                lane.held = 0;
            }
        }
        rpc.close();
        return held;
    }
}

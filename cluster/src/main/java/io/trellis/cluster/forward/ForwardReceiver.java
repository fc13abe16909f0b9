package io.trellis.cluster.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.rpc.RpcReceiver;
import io.trellis.mqtt.broker.Broker;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands forwarded messages to the local broker: to its non-shared subscriptions, or to one
 * member of the named share group; then acknowledges the batch on the same connection (the
 * broker has queued them on the subscribers' sessions). Runs on the RPC connection's event loop.
 *
 * <p>A frame's messages are delivered as one broker delivery batch: each subscriber event loop
 * gets one task with its share of the frame, in frame order (per-topic order holds, as a topic
 * always travels on one connection). Backpressure: a connection keeps reading while fewer than
 * {@link #MAX_UNDELIVERED} of its messages wait in the loops' task queues, and stops reading
 * beyond that until the loops have caught up, so forwarded QoS 0 messages cannot pile up there
 * (seconds of delay); TCP then pushes back to the sending node, which drops QoS 0 (counted) and
 * holds QoS 1/2 (bounded). A window rather than one frame at a time: the loops always have the
 * next frame at hand while the connection reads the one after.
 */
public final class ForwardReceiver implements RpcReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardReceiver.class);
    /** Messages of one connection handed to loops and not yet delivered, beyond which it stops reading. */
    static final int MAX_UNDELIVERED = 4096;
    /** Per connection: its messages handed to the loops and not yet delivered. */
    private static final AttributeKey<AtomicInteger> UNDELIVERED = AttributeKey.valueOf("trellis.forward.undelivered");
    private final Broker broker;
    private final LongAdder received = new LongAdder();
    private final LongAdder noGroup = new LongAdder();

    public ForwardReceiver(Broker broker) {
        this.broker = broker;
    }

    @Override
    public void received(NodeName from, ByteBuf frame) {
        received(from, frame, null);
    }

    @Override
    public void received(NodeName from, ByteBuf frame, Channel connection) {
        ForwardFrame f;
        try {
            f = ForwardFrame.decode(frame);
        } catch (ForwardFrame.Malformed e) {
            LOG.warn("closing the RPC connection from {}: {}", from, e.getMessage());
            if (connection != null) {
                connection.close();
            }
            return;
        }
        if (!(f instanceof ForwardFrame.ForwardV1 forward)) {
            return;
        }
        int n = forward.entries().size();
        AtomicInteger undelivered = connection == null ? null : undelivered(connection);
        if (undelivered != null) {
            undelivered.addAndGet(n); // before the hand-over: the loops may deliver at once
        }
        Runnable delivered = undelivered == null ? null : () -> {
            if (undelivered.addAndGet(-n) < MAX_UNDELIVERED && !connection.config().isAutoRead()) {
                connection.config().setAutoRead(true);
            }
        };
        int loops = 0;
        try {
            loops = broker.deliverBatch(() -> deliver(forward), delivered);
        } finally {
            if (loops == 0 && undelivered != null) {
                undelivered.addAndGet(-n); // nothing handed to another loop (or delivery failed)
            }
        }
        if (undelivered != null && undelivered.get() >= MAX_UNDELIVERED) {
            connection.config().setAutoRead(false);
            // The loops may have caught up meanwhile and seen reading still on: look again.
            if (undelivered.get() < MAX_UNDELIVERED) {
                connection.config().setAutoRead(true);
            }
        }
        if (forward.batchId() != 0 && connection != null) {
            connection.writeAndFlush(new ForwardFrame.AckV1(forward.batchId()).encode(connection.alloc()));
        }
    }

    private static AtomicInteger undelivered(Channel connection) {
        AtomicInteger count = connection.attr(UNDELIVERED).get();
        if (count == null) {
            count = new AtomicInteger();
            connection.attr(UNDELIVERED).set(count); // only this connection's loop gets here
        }
        return count;
    }

    private void deliver(ForwardFrame.ForwardV1 forward) {
        for (ForwardFrame.Entry e : forward.entries()) {
            received.increment();
            if (e.shared()) {
                if (broker.deliverShared(e.group(), e.filter(), e.message()) == 0) {
                    noGroup.increment(); // the group's last member here left meanwhile
                }
            } else {
                broker.deliverForwarded(e.message());
            }
        }
    }

    public long received() {
        return received.sum();
    }
}

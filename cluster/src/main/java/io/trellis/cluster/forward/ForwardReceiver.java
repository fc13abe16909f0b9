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
 * always travels on one connection). Backpressure: after a frame whose deliveries went to other
 * loops, the connection stops reading until those tasks have run, so forwarded QoS 0 messages
 * cannot pile up in the loops' task queues; TCP then pushes back to the sending node, which drops
 * QoS 0 (counted) and holds QoS 1/2 (bounded).
 */
public final class ForwardReceiver implements RpcReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardReceiver.class);
    /** Frames of a connection whose deliveries have not all run yet. */
    private static final AttributeKey<AtomicInteger> PAUSED_FRAMES = AttributeKey.valueOf("trellis.forward.pausedFrames");
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
        Runnable resume = connection == null ? null : pause(connection);
        int loops = 0;
        try {
            loops = broker.deliverBatch(() -> deliver(forward), resume);
        } finally {
            if (loops == 0 && resume != null) {
                resume.run(); // nothing handed to another loop (or delivery failed): nothing to wait for
            }
        }
        if (forward.batchId() != 0 && connection != null) {
            connection.writeAndFlush(new ForwardFrame.AckV1(forward.batchId()).encode(connection.alloc()));
        }
    }

    /**
     * Stops reading; returns what resumes it once this frame's deliveries ran. Frames already
     * read are still decoded and delivered, so the connection resumes only when every paused frame
     * of it has been delivered (a count per connection).
     */
    private static Runnable pause(Channel connection) {
        AtomicInteger paused = connection.attr(PAUSED_FRAMES).get();
        if (paused == null) {
            paused = new AtomicInteger();
            connection.attr(PAUSED_FRAMES).set(paused); // only this connection's loop gets here
        }
        paused.incrementAndGet();
        connection.config().setAutoRead(false);
        AtomicInteger count = paused;
        return () -> {
            if (count.decrementAndGet() == 0) {
                connection.config().setAutoRead(true);
            }
        };
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

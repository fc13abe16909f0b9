package io.trellis.cluster.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.rpc.RpcReceiver;
import io.trellis.mqtt.broker.Broker;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands forwarded messages to the local broker: to its non-shared subscriptions, or to one
 * member of the named share group; then acknowledges the batch on the same connection (the
 * broker has queued them on the subscribers' sessions). Runs on the RPC connection's event loop.
 */
public final class ForwardReceiver implements RpcReceiver {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardReceiver.class);
    private final Broker broker;
    private final LongAdder received = new LongAdder();
    private final LongAdder noGroup = new LongAdder();

    /** The loops deliveries hop to (the sessions' loops), or null: then no backpressure. */
    private final java.util.function.Supplier<? extends Iterable<? extends io.netty.util.concurrent.EventExecutor>> deliveryLoops;

    public ForwardReceiver(Broker broker) {
        this(broker, () -> null);
    }

    /**
     * @param deliveryLoops the session loops: after each batch the connection stops reading until
     *                      those loops have run the deliveries queued so far, so forwarded QoS 0
     *                      messages cannot pile up in their task queues (seconds of delay)
     */
    public ForwardReceiver(Broker broker, java.util.function.Supplier<? extends Iterable<? extends io.netty.util.concurrent.EventExecutor>> deliveryLoops) {
        this.broker = broker;
        this.deliveryLoops = deliveryLoops;
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
        if (forward.batchId() != 0 && connection != null) {
            connection.writeAndFlush(new ForwardFrame.AckV1(forward.batchId()).encode(connection.alloc()));
        }
        if (connection != null) {
            pauseUntilDelivered(connection);
        }
    }

    /** Stops reading until every session loop has run a marker queued behind this batch's deliveries. */
    private void pauseUntilDelivered(Channel connection) {
        Iterable<? extends io.netty.util.concurrent.EventExecutor> loops = deliveryLoops.get();
        if (loops == null) {
            return;
        }
        java.util.List<io.netty.util.concurrent.EventExecutor> all = new java.util.ArrayList<>();
        loops.forEach(all::add);
        if (all.isEmpty()) {
            return;
        }
        connection.config().setAutoRead(false);
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(all.size());
        for (io.netty.util.concurrent.EventExecutor loop : all) {
            Runnable marker = () -> {
                if (left.decrementAndGet() == 0) {
                    connection.config().setAutoRead(true);
                }
            };
            try {
                loop.execute(marker);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                marker.run(); // that loop is shutting down: do not wait for it
            }
        }
    }

    public long received() {
        return received.sum();
    }
}

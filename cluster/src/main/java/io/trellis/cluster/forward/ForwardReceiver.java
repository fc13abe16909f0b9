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
    }

    public long received() {
        return received.sum();
    }
}

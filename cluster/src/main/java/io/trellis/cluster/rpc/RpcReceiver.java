package io.trellis.cluster.rpc;

import io.netty.buffer.ByteBuf;
import io.trellis.cluster.NodeName;

/**
 * Gets each frame that arrives on an authenticated RPC connection. Called on the connection's
 * event loop, in arrival order; the frame is released after the call returns (retain it to
 * keep it).
 */
@FunctionalInterface
public interface RpcReceiver {
    void received(NodeName from, ByteBuf frame);

    /** As above, with the connection the frame came on, to answer on it (acknowledgements). */
    default void received(NodeName from, ByteBuf frame, io.netty.channel.Channel connection) {
        received(from, frame);
    }
}

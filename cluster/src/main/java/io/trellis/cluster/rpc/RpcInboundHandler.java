package io.trellis.cluster.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.HandshakeCompleted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The application end of one RPC connection: hands frames to the receiver once the peer is known. Event-loop confined. */
final class RpcInboundHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RpcInboundHandler.class);
    private final RpcReceiver receiver;
    private NodeName peer;

    RpcInboundHandler(RpcReceiver receiver) {
        this.receiver = receiver;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HandshakeCompleted completed) {
            peer = completed.peer();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (peer != null) {
                receiver.received(peer, (ByteBuf) msg, ctx.channel());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("cluster RPC connection with {} failed: {}", peer, cause.toString());
        ctx.close();
    }
}

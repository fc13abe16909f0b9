package io.trellis.cluster.distribution;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.HandshakeCompleted;
import io.trellis.cluster.transport.ClusterHandlerNames;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application end of one distribution connection. After the handshake it adds an
 * {@link IdleStateHandler}: a heartbeat goes out when nothing was written for a heartbeat
 * interval, and a peer that sent nothing for the node-down timeout is cut off. Event-loop confined.
 */
final class PeerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(PeerHandler.class);

    private final Distribution distribution;
    private final Distribution.Timing timing;
    private NodeName peer;
    private String downReason = "connection closed";

    PeerHandler(Distribution distribution, Distribution.Timing timing) {
        this.distribution = distribution;
        this.timing = timing;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof HandshakeCompleted completed) {
            peer = completed.peer();
            ctx.pipeline().addBefore(ctx.name(), ClusterHandlerNames.IDLE, new IdleStateHandler(
                    timing.nodeDownTimeout().toMillis(), timing.heartbeatInterval().toMillis(), 0, TimeUnit.MILLISECONDS));
            distribution.connected(completed, ctx.channel());
        } else if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(new DistMessage.HeartbeatV1().encode(ctx.alloc()));
            } else if (idle.state() == IdleState.READER_IDLE) {
                downReason = "no heartbeat for " + timing.nodeDownTimeout().toMillis() + "ms (cluster.node_down_timeout)";
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            DistMessage m = DistMessage.decode((ByteBuf) msg);
            if (m instanceof DistMessage.MembersV1 members) {
                distribution.membersReceived(peer, members);
            } else if (m instanceof DistMessage.DataV1 data) {
                distribution.dataReceived(peer, data.body());
            } else if (m instanceof DistMessage.LeaveV1) {
                distribution.peerLeaves(peer);
                ctx.close();
            }
        } catch (DistMessage.Malformed e) {
            LOG.warn("closing distribution connection to {}: {}", peer, e.getMessage());
            downReason = "malformed message";
            ctx.close();
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer != null) {
            distribution.disconnected(peer, ctx.channel(), downReason);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("distribution connection to {} failed: {}", peer, cause.toString());
        ctx.close();
    }
}

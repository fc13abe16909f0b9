package io.trellis.cluster.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeHandler;
import io.trellis.cluster.handshake.TransportFailure;

/**
 * First on a plain-TCP channel: recognises a TLS record (0x16, handshake) where the peer's first
 * handshake frame was expected, and refuses with "peer is using TLS" instead of "malformed". A
 * handshake frame starts with its 2-byte length, at most 512, so its first byte is 0, 1 or 2: the
 * test is unambiguous. Removes itself after the first bytes.
 */
final class PlainGuard extends ChannelInboundHandlerAdapter {
    private static final byte TLS_HANDSHAKE_RECORD = 0x16;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.pipeline().remove(this);
        if (msg instanceof ByteBuf buf && buf.isReadable() && buf.getByte(buf.readerIndex()) == TLS_HANDSHAKE_RECORD) {
            ReferenceCountUtil.release(msg);
            // Plain bytes the TLS peer's engine rejects as "not TLS": it then names the mismatch too.
            ctx.writeAndFlush(HandshakeHandler.refusalFrame(ctx.alloc(), HandshakeFailure.PEER_USES_TLS));
            ctx.fireUserEventTriggered(new TransportFailure(HandshakeFailure.PEER_USES_TLS, false));
            return;
        }
        ctx.fireChannelRead(msg);
    }
}

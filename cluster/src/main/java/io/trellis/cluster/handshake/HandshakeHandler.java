package io.trellis.cluster.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cookie handshake of one connection (DESIGN.md "The two inter-node channels"), one
 * subclass per role. It sits first in the pipeline (after TLS when TLS is on), behind its own
 * {@link PreHandshakeFrameDecoder}. Until the handshake succeeds nothing read reaches the
 * handlers behind it and nothing they write leaves; a handshake that has not completed within
 * the authentication timeout is cut off.
 *
 * <p>On success it fires {@link HandshakeCompleted} to the handlers behind it, then removes
 * itself and its frame decoder (bytes already read behind the last handshake frame pass on to
 * the next handler). On failure it tells the peer why in a {@link HandshakeMessage.Refusal}
 * when it decided, logs through the {@link RefusalLog}, fires {@link HandshakeFailed} and
 * closes. There is no fallback of any kind. Both outcomes also complete {@link #result}.
 *
 * <p>Event-loop confined: every field is touched only on the channel's event loop.
 */
public abstract sealed class HandshakeHandler extends ChannelDuplexHandler permits AcceptorHandshakeHandler, DiallerHandshakeHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HandshakeHandler.class);
    private static final AttributeKey<CompletableFuture<HandshakeCompleted>> RESULT =
            AttributeKey.valueOf(HandshakeHandler.class, "result");

    protected final HandshakeSettings settings;
    protected final ClusterChannel channel;
    private final Role role;
    private final CompletableFuture<HandshakeCompleted> result = new CompletableFuture<>();
    private ScheduledFuture<?> timer;
    private boolean started;
    private boolean done;
    private boolean succeeded;
    /** The peer's claimed name (acceptor) or the expected one (dialler), for logs; null when unknown. */
    protected String peerName;

    HandshakeHandler(HandshakeSettings settings, ClusterChannel channel, Role role) {
        this.settings = settings;
        this.channel = channel;
        this.role = role;
    }

    /** The frame decoder that goes right before a handshake handler: 2-byte length, 512-byte body at most, fails fast. */
    public static LengthFieldBasedFrameDecoder newFrameDecoder() {
        return new PreHandshakeFrameDecoder();
    }

    /** The outcome of the handshake on {@code ch}; completes exceptionally with {@link HandshakeFailedException}. */
    public static CompletableFuture<HandshakeCompleted> result(Channel ch) {
        CompletableFuture<HandshakeCompleted> r = ch.attr(RESULT).get();
        if (r == null) {
            throw new IllegalStateException("no cluster handshake on channel " + ch);
        }
        return r;
    }

    /** This handler's outcome. */
    public CompletableFuture<HandshakeCompleted> result() {
        return result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().attr(RESULT).set(result);
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        timer = ctx.executor().schedule(() -> fail(ctx, HandshakeFailure.HANDSHAKE_TIMEOUT, false),
                settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
        onStart(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (done) {
                return; // failed and closing: drop whatever still arrives
            }
            HandshakeMessage m;
            try {
                m = HandshakeMessage.decode((ByteBuf) msg);
            } catch (HandshakeMessage.MalformedFrame e) {
                LOG.debug("malformed handshake frame from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
                fail(ctx, HandshakeFailure.MALFORMED, false);
                return;
            }
            if (m instanceof HandshakeMessage.Refusal r) {
                fail(ctx, r.reason(), true);
            } else {
                onMessage(ctx, m);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (done) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        LOG.debug("cluster handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        // A decoder error is the peer's bytes (a frame over the limit); anything else is the connection.
        fail(ctx, cause instanceof DecoderException ? HandshakeFailure.MALFORMED : HandshakeFailure.CONNECTION_CLOSED, false);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof TransportFailure failure) {
            fail(ctx, failure.reason(), failure.reportedByPeer());
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /** A refusal frame, for the transport to send in plain bytes (a TLS acceptor to a plain dialler). */
    public static io.netty.buffer.ByteBuf refusalFrame(io.netty.buffer.ByteBufAllocator alloc, HandshakeFailure reason) {
        return new HandshakeMessage.Refusal(reason, HandshakeSettings.MIN_VERSION, HandshakeSettings.MAX_VERSION).encode(alloc);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            fail(ctx, HandshakeFailure.CONNECTION_CLOSED, false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!succeeded) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalStateException("the cluster handshake has not completed: nothing may be sent before it"));
            return;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    /** Called once the channel is active. */
    abstract void onStart(ChannelHandlerContext ctx);

    /** Called for each frame other than a refusal. */
    abstract void onMessage(ChannelHandlerContext ctx, HandshakeMessage m);

    void send(ChannelHandlerContext ctx, HandshakeMessage m) {
        ctx.writeAndFlush(m.encode(ctx.alloc())).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    void succeed(ChannelHandlerContext ctx, NodeName peer, int version) {
        done = true;
        succeeded = true;
        cancelTimer();
        HandshakeCompleted completed = new HandshakeCompleted(peer, channel, role, version);
        // The handlers behind learn first, so whoever waits on the result finds them ready.
        ctx.fireUserEventTriggered(completed);
        ChannelPipeline p = ctx.pipeline();
        p.remove(this);
        PreHandshakeFrameDecoder decoder = p.get(PreHandshakeFrameDecoder.class);
        if (decoder != null) {
            p.remove(decoder);
        }
        result.complete(completed);
    }

    /**
     * Ends the handshake with {@code reason}: tells the peer unless it told us, logs (rate
     * limited), fires {@link HandshakeFailed} and closes.
     */
    void fail(ChannelHandlerContext ctx, HandshakeFailure reason, boolean reportedByPeer) {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        HandshakeFailed failed = new HandshakeFailed(reason, channel, ctx.channel().remoteAddress(), peerName, reportedByPeer);
        settings.refusals().record(failed, role);
        ctx.fireUserEventTriggered(failed);
        result.completeExceptionally(new HandshakeFailedException(failed, role));
        // Transport failures are the TLS layer's to report (alerts); its guards already told the peer what they could.
        boolean tell = !reportedByPeer && reason != HandshakeFailure.CONNECTION_CLOSED && !reason.transport() && ctx.channel().isActive();
        if (tell) {
            HandshakeMessage refusal = new HandshakeMessage.Refusal(reason, settings.minVersion(), settings.maxVersion());
            ctx.writeAndFlush(refusal.encode(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Parses a name from the wire; null when it is not a valid node name. */
    static NodeName parseOrNull(String text) {
        try {
            return NodeName.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

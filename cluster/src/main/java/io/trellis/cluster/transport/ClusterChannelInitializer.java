package io.trellis.cluster.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.AcceptorHandshakeHandler;
import io.trellis.cluster.handshake.DiallerHandshakeHandler;
import io.trellis.cluster.handshake.HandshakeHandler;
import io.trellis.cluster.handshake.HandshakeSettings;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The one place where an inter-node channel's pipeline is assembled, for both channels and both
 * roles:
 *
 * <pre>
 * TLS:   TLS -> TLS guard -> handshake frame decoder -> handshake -> frame decoder -> frame encoder -> application
 * plain: plain guard -> handshake frame decoder -> handshake -> ...
 * </pre>
 *
 * TLS comes from {@link HandshakeSettings#transportSecurity()}, per channel (RPC and distribution
 * independently); the cookie handshake runs inside it. The guards turn a TLS failure, or TLS
 * bytes on a plain port, into a {@link io.trellis.cluster.handshake.TransportFailure} so the
 * refusal names the cause ("certificate signed by an unknown CA", "peer speaks plain TCP", ...).
 *
 * The handshake stages remove themselves on success; the application handler then sees a
 * {@link io.trellis.cluster.handshake.HandshakeCompleted} event and whole frames (4-byte length
 * prefix, at most {@code maxFrameBytes}), and writes ByteBufs that get the prefix added.
 */
public final class ClusterChannelInitializer extends ChannelInitializer<Channel> {
    /** Length prefix of frames after the handshake. */
    public static final int LENGTH_BYTES = 4;
    /** Explicit flushes let through at most every this many while consolidating. */
    static final int FLUSH_AFTER_WRITES = 256;

    private final Supplier<HandshakeHandler> handshake;
    private final int maxFrameBytes;
    private final Supplier<? extends ChannelHandler> application;
    private final ChannelTls tls;
    /** The node dialled, or null on an acceptor. */
    private final NodeName expectedPeer;

    private ClusterChannelInitializer(Supplier<HandshakeHandler> handshake, int maxFrameBytes, Supplier<? extends ChannelHandler> application,
                                      ChannelTls tls, NodeName expectedPeer) {
        if (maxFrameBytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + " is too small; allow at least 1024");
        }
        this.handshake = handshake;
        this.maxFrameBytes = maxFrameBytes;
        this.application = Objects.requireNonNull(application, "application");
        this.tls = tls;
        this.expectedPeer = expectedPeer;
    }

    /** For a listening socket's child channels. */
    public static ClusterChannelInitializer forAcceptor(ClusterChannel channel, HandshakeSettings settings, int maxFrameBytes,
                                                        Supplier<? extends ChannelHandler> application) {
        return new ClusterChannelInitializer(() -> new AcceptorHandshakeHandler(settings, channel), maxFrameBytes, application,
                settings.transportSecurity().of(channel), null);
    }

    /** For a connection to {@code expectedPeer}; the acceptor refuses it if it has another name. */
    public static ClusterChannelInitializer forDialler(ClusterChannel channel, HandshakeSettings settings, NodeName expectedPeer,
                                                       int maxFrameBytes, Supplier<? extends ChannelHandler> application) {
        Objects.requireNonNull(expectedPeer, "expectedPeer");
        return new ClusterChannelInitializer(() -> new DiallerHandshakeHandler(settings, channel, expectedPeer), maxFrameBytes, application,
                settings.transportSecurity().of(channel), expectedPeer);
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        boolean acceptor = expectedPeer == null;
        if (tls.enabled()) {
            tls.refreshIfChanged();
            // The current contexts: a reload affects new connections only.
            p.addLast(ClusterHandlerNames.TLS, acceptor ? tls.newAcceptorHandler(ch.alloc()) : tls.newDiallerHandler(ch.alloc(), expectedPeer, -1));
            p.addLast(ClusterHandlerNames.TLS_GUARD, new TlsGuard(acceptor));
        } else {
            p.addLast(ClusterHandlerNames.PLAIN_GUARD, new PlainGuard());
        }
        // Many small frames written from other threads: one flush per event-loop turn lets TLS wrap
        // them into full records (and saves syscalls on plain TCP) instead of one record per frame.
        p.addLast(ClusterHandlerNames.FLUSH_CONSOLIDATION, new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true));
        p.addLast(ClusterHandlerNames.HANDSHAKE_FRAME_DECODER, HandshakeHandler.newFrameDecoder());
        p.addLast(ClusterHandlerNames.HANDSHAKE, handshake.get());
        p.addLast(ClusterHandlerNames.FRAME_DECODER,
                new LengthFieldBasedFrameDecoder(maxFrameBytes + LENGTH_BYTES, 0, LENGTH_BYTES, 0, LENGTH_BYTES, true));
        p.addLast(ClusterHandlerNames.FRAME_ENCODER, new LengthFieldPrepender(LENGTH_BYTES));
        p.addLast(ClusterHandlerNames.APPLICATION, application.get());
    }
}

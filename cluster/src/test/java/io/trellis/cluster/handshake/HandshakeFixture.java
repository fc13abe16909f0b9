package io.trellis.cluster.handshake;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.transport.ClusterChannelInitializer;
import io.trellis.config.Secret;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Acceptors and diallers on loopback, random ports, recording every event their application handler sees. */
final class HandshakeFixture implements AutoCloseable {
    static final int MAX_FRAME = 64 * 1024;
    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    /** Application handler: records events and frames; an acceptor echoes "pong:" + each frame. */
    @io.netty.channel.ChannelHandler.Sharable
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final Queue<Object> events = new ConcurrentLinkedQueue<>();
        final Queue<String> frames = new ConcurrentLinkedQueue<>();
        private final boolean echo;

        Recorder(boolean echo) {
            this.echo = echo;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            String text = buf.toString(StandardCharsets.UTF_8);
            buf.release();
            frames.add(text);
            if (echo) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("pong:" + text, StandardCharsets.UTF_8));
            }
        }
    }

    static HandshakeSettings settings(String node, String cookie, Duration timeout) {
        return new HandshakeSettings(NodeName.parse(node), CookieKey.of(new Secret(cookie)), timeout, new RefusalLog(Duration.ofMinutes(1)));
    }

    /** A listening acceptor; its recorder sees the events of every accepted connection. */
    final class Acceptor {
        final Recorder recorder = new Recorder(true);
        final Channel server;

        Acceptor(String host, ClusterChannel channel, HandshakeSettings settings) throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(ClusterChannelInitializer.forAcceptor(channel, settings, MAX_FRAME, () -> recorder))
                    .bind(host, 0).sync().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.localAddress();
        }
    }

    Acceptor acceptor(ClusterChannel channel, HandshakeSettings settings) throws InterruptedException {
        return new Acceptor("127.0.0.1", channel, settings);
    }

    Acceptor acceptor(String host, ClusterChannel channel, HandshakeSettings settings) throws InterruptedException {
        return new Acceptor(host, channel, settings);
    }

    /** A dialled connection and its recorder. */
    record Dial(Channel channel, Recorder recorder) {
        java.util.concurrent.CompletableFuture<HandshakeCompleted> result() {
            return HandshakeHandler.result(channel);
        }
    }

    Dial dial(Acceptor to, ClusterChannel channel, HandshakeSettings settings, String expected) throws InterruptedException {
        Recorder recorder = new Recorder(false);
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(ClusterChannelInitializer.forDialler(channel, settings, NodeName.parse(expected), MAX_FRAME, () -> recorder))
                .connect(to.address()).sync().channel();
        return new Dial(ch, recorder);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}

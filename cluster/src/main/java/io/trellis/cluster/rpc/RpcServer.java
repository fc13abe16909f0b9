package io.trellis.cluster.rpc;

import io.netty.bootstrap.ServerBootstrap;
import io.trellis.mqtt.transport.EventLoops;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.transport.ClusterChannelInitializer;
import java.net.InetSocketAddress;

/** Listens for cluster RPC connections; every one runs the cookie handshake before a frame is delivered. */
public final class RpcServer implements AutoCloseable {
    private final HandshakeSettings handshake;
    private final InetSocketAddress bind;
    private final int maxFrameBytes;
    private final RpcReceiver receiver;
    private final EventLoopGroup group;
    private Channel server;

    public RpcServer(HandshakeSettings handshake, InetSocketAddress bind, int maxFrameBytes, RpcReceiver receiver, EventLoopGroup group) {
        this.handshake = handshake;
        this.bind = bind;
        this.maxFrameBytes = maxFrameBytes;
        this.receiver = receiver;
        this.group = group;
    }

    /**
     * Binds and returns the port.
     *
     * @throws IllegalStateException naming the address when it cannot be bound
     */
    public int start() throws InterruptedException {
        ChannelFuture bound = new ServerBootstrap().group(group).channelFactory(EventLoops.nioServerChannelFactory(bind))
                .childHandler(ClusterChannelInitializer.forAcceptor(ClusterChannel.RPC, handshake, maxFrameBytes,
                        () -> new RpcInboundHandler(receiver)))
                .bind(bind).await();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("cluster RPC of " + handshake.self() + " cannot listen on " + bind + ": "
                    + bound.cause().getMessage() + "; another node on this host may use the same port (see node.name,"
                    + " rpc.port_discovery, rpc.server_port) or change rpc.listen_address", bound.cause());
        }
        server = bound.channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }
}

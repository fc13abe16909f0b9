package io.trellis.mqtt.transport;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;

/** The transport: epoll where the native library loads, NIO otherwise. */
public final class EventLoops {
    private EventLoops() {
    }

    public static EventLoopGroup group(String name, int threads) {
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return Epoll.isAvailable()
                ? new MultiThreadIoEventLoopGroup(threads, factory, EpollIoHandler.newFactory())
                : new MultiThreadIoEventLoopGroup(threads, factory, NioIoHandler.newFactory());
    }

    public static Class<? extends ServerSocketChannel> serverChannel() {
        return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Server channels for {@link #group} that listen on exactly the configured family: an IPv4 bind
     * such as {@code 0.0.0.0:1883} opens an IPv4 socket. Without this the JDK and Netty open a
     * dual-stack IPv6 socket and {@code 0.0.0.0} also accepts IPv6 clients, which a firewall written
     * from the config would not expect. {@code [::]:port} stays dual-stack (the OS default).
     */
    public static ChannelFactory<ServerSocketChannel> serverChannelFactory(InetSocketAddress bind) {
        SocketProtocolFamily family = family(bind);
        return Epoll.isAvailable()
                ? () -> new EpollServerSocketChannel(family)
                : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    /** The same for code that runs its own NIO event loops (cluster channels, management API). */
    public static ChannelFactory<ServerSocketChannel> nioServerChannelFactory(InetSocketAddress bind) {
        SocketProtocolFamily family = family(bind);
        return () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    }

    private static SocketProtocolFamily family(InetSocketAddress bind) {
        return bind.getAddress() instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
    }
}

package io.trellis.cluster.rpc;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.HandshakeCompleted;
import io.trellis.cluster.handshake.HandshakeHandler;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.transport.ClusterChannelInitializer;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@code rpc.client_num} authenticated connections to one peer. A frame goes on the connection
 * chosen by hash of its topic, so frames of one topic stay in order. A send on a connection that
 * is down fails at once and redials it (no queue here: the caller decides, which keeps memory
 * bounded); {@link #isWritable} lets the caller hold back when the peer reads slowly.
 */
public final class RpcClient implements AutoCloseable {
    private final HandshakeSettings handshake;
    private final NodeName peer;
    private final InetSocketAddress address;
    private final int maxFrameBytes;
    private final Duration connectTimeout;
    private final EventLoopGroup group;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private final AtomicReferenceArray<Channel> connections;
    /** The dial in progress per connection, so a burst of sends on a down connection dials once. */
    private final AtomicReferenceArray<CompletableFuture<HandshakeCompleted>> dialling;
    private volatile boolean closed;
    /** Gets what the peer answers on these connections (acknowledgements). */
    private volatile RpcReceiver replies = (from, frame) -> { };

    public RpcClient(HandshakeSettings handshake, NodeName peer, InetSocketAddress address, int clientNum, int maxFrameBytes,
                     Duration connectTimeout, EventLoopGroup group) {
        this(handshake, peer, address, clientNum, maxFrameBytes, connectTimeout, group, DefaultAddressResolverGroup.INSTANCE);
    }

    /** With {@code resolver} looking up the peer's host name when {@code address} is unresolved. */
    public RpcClient(HandshakeSettings handshake, NodeName peer, InetSocketAddress address, int clientNum, int maxFrameBytes,
                     Duration connectTimeout, EventLoopGroup group, AddressResolverGroup<? extends SocketAddress> resolver) {
        if (clientNum < 1 || clientNum > 256) {
            throw new IllegalArgumentException("rpc.client_num " + clientNum + " is out of range; write 1-256");
        }
        this.handshake = handshake;
        this.peer = Objects.requireNonNull(peer, "peer");
        this.address = address;
        this.maxFrameBytes = maxFrameBytes;
        this.connectTimeout = connectTimeout;
        this.group = group;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.connections = new AtomicReferenceArray<>(clientNum);
        this.dialling = new AtomicReferenceArray<>(clientNum);
    }

    /** The connection a topic's frames use: {@code floorMod(hash(topic), clientNum)}. */
    public static int connectionIndex(String topic, int clientNum) {
        return Math.floorMod(topic.hashCode(), clientNum);
    }

    /**
     * Opens every connection that is not open. Completes when all are authenticated; fails with
     * the first error (e.g. {@link io.trellis.cluster.handshake.HandshakeFailedException} "cookie mismatch").
     */
    public CompletableFuture<Void> connect() {
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < connections.length(); i++) {
            Channel ch = connections.get(i);
            if (ch == null || !ch.isActive()) {
                all.add(dial(i));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<HandshakeCompleted> dial(int index) {
        CompletableFuture<HandshakeCompleted> done = new CompletableFuture<>();
        CompletableFuture<HandshakeCompleted> inProgress = dialling.compareAndExchange(index, null, done);
        if (inProgress != null) {
            return inProgress;
        }
        done.whenComplete((ok, failure) -> dialling.compareAndSet(index, done, null));
        if (closed) {
            done.completeExceptionally(new IllegalStateException("RPC client to " + peer + " is closed"));
            return done;
        }
        ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class).resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(ClusterChannelInitializer.forDialler(ClusterChannel.RPC, handshake, peer, maxFrameBytes,
                        () -> new RpcInboundHandler((from, frame) -> replies.received(from, frame))))
                .connect(address);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                done.completeExceptionally(f.cause());
                return;
            }
            HandshakeHandler.result(connect.channel()).whenComplete((ok, failure) -> {
                if (failure != null) {
                    done.completeExceptionally(failure);
                } else if (closed) {
                    connect.channel().close();
                    done.completeExceptionally(new IllegalStateException("RPC client to " + peer + " is closed"));
                } else {
                    Channel old = connections.getAndSet(index, connect.channel());
                    if (old != null && old != connect.channel()) {
                        old.close();
                    }
                    done.complete(ok);
                }
            });
        });
        return done;
    }

    /**
     * Sends {@code frame} (released by the pipeline) on the topic's connection. Fails without
     * sending when that connection is down, and starts redialling it.
     */
    public Future<Void> send(String topic, ByteBuf frame) {
        int index = connectionIndex(topic, connections.length());
        Channel ch = connections.get(index);
        if (ch == null || !ch.isActive()) {
            frame.release();
            if (!closed) {
                dial(index);
            }
            return group.next().newFailedFuture(
                    new IllegalStateException("cluster RPC connection " + index + " to " + peer + " is down"));
        }
        return ch.writeAndFlush(frame);
    }

    /** Sets the receiver of the peer's answers (before {@link #connect}). */
    public void onReply(RpcReceiver receiver) {
        this.replies = receiver;
    }

    public int clientNum() {
        return connections.length();
    }

    /** Sends on connection {@code index} (see {@link #connectionIndex}); as {@link #send(String, ByteBuf)}. */
    public Future<Void> send(int index, ByteBuf frame) {
        Channel ch = connections.get(index);
        if (ch == null || !ch.isActive()) {
            frame.release();
            if (!closed) {
                dial(index);
            }
            return group.next().newFailedFuture(
                    new IllegalStateException("cluster RPC connection " + index + " to " + peer + " is down"));
        }
        return ch.writeAndFlush(frame);
    }

    /** Whether connection {@code index} is up and below Netty's high-water mark. */
    public boolean isWritable(int index) {
        Channel ch = connections.get(index);
        return ch != null && ch.isActive() && ch.isWritable();
    }

    /** The event loop of connection {@code index}, or null while it is down: writes from there need no hop. */
    public io.netty.util.concurrent.EventExecutor eventLoop(int index) {
        Channel ch = connections.get(index);
        return ch != null && ch.isActive() ? ch.eventLoop() : null;
    }

    /** Whether connection {@code index} is up; redials it when not. */
    public boolean ensureConnected(int index) {
        Channel ch = connections.get(index);
        if (ch != null && ch.isActive()) {
            return true;
        }
        if (!closed) {
            dial(index);
        }
        return false;
    }

    /** Whether the topic's connection is up and its outbound buffer below Netty's high-water mark. */
    public boolean isWritable(String topic) {
        Channel ch = connections.get(connectionIndex(topic, connections.length()));
        return ch != null && ch.isActive() && ch.isWritable();
    }

    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < connections.length(); i++) {
            Channel ch = connections.getAndSet(i, null);
            if (ch != null && !ch.eventLoop().isShuttingDown()) {
                ch.close().syncUninterruptibly();
            } // else the loop's shutdown closes it
        }
    }
}

package io.trellis.mqtt;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.broker.LocalBrokerAdmin;
import io.trellis.mqtt.broker.Session;
import io.trellis.mqtt.broker.SessionOwner;
import io.trellis.mqtt.connection.MqttPipeline;
import io.trellis.mqtt.transport.BoundListener;
import io.trellis.mqtt.transport.EventLoops;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.mqtt.transport.MqttChannelInitializer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's MQTT side: the broker and its listeners. CONTRACT: public signatures fixed.
 * Lifecycle: construct, {@link #start()}, {@link #close()} (idempotent).
 */
public final class MqttServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);
    /**
     * Per-connection write buffer: above high a connection is unwritable (QoS 0 dropped, QoS 1/2 queued).
     * 1 MB rather than Netty's 64 KB: a subscriber that reads a little slower than its publishers
     * write (fan-in) keeps a full pipe instead of losing QoS 0 bursts; measured in fan-in 10->1 QoS 0 at
     * 12k msg/s received with 64 KB and 870k msg/s with 1 MB (BENCHMARKS.md). Idle connections
     * hold no buffer, so this costs nothing per idle connection; mqtt.max_send_queue still cuts a
     * client that stops reading.
     */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    private final BrokerSettings settings;
    private final List<ListenerSpec> listeners;
    private final Broker broker;
    private final LocalBrokerAdmin admin;
    private final List<Channel> serverChannels = new ArrayList<>();
    private final List<BoundListener> bound = new ArrayList<>();
    private EventLoopGroup acceptGroup;
    private EventLoopGroup ioGroup;
    private boolean started;
    private boolean closed;

    public MqttServer(BrokerSettings settings, List<ListenerSpec> listeners) {
        if (settings == null) throw new IllegalArgumentException("broker settings are required");
        if (listeners == null) throw new IllegalArgumentException("listeners are required (may be empty)");
        this.settings = settings;
        this.listeners = List.copyOf(listeners);
        this.broker = new Broker(settings);
        this.admin = new LocalBrokerAdmin(broker);
    }

    /**
     * Binds every listener. On failure closes what it opened and throws
     * {@link IllegalStateException} naming the listener and address ("listener tcp:default could
     * not bind 0.0.0.0:1883: Address already in use").
     */
    public synchronized void start() {
        if (started) throw new IllegalStateException("MqttServer already started");
        if (closed) throw new IllegalStateException("MqttServer is closed");
        started = true;
        int threads = settings.eventLoopThreads() > 0 ? settings.eventLoopThreads()
                : Runtime.getRuntime().availableProcessors();
        acceptGroup = EventLoops.group("trellis-mqtt-accept", 1);
        ioGroup = EventLoops.group("trellis-mqtt-io", threads);
        MqttPipeline mqtt = new MqttPipeline(broker);
        for (ListenerSpec spec : listeners) {
            ServerBootstrap b = new ServerBootstrap()
                    .group(acceptGroup, ioGroup)
                    .channelFactory(EventLoops.serverChannelFactory(spec.bind()))
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .childHandler(MqttChannelInitializer.forListener(spec, mqtt, settings.maxPacketSize()));
            ChannelFuture f = b.bind(spec.bind()).awaitUninterruptibly();
            if (!f.isSuccess()) {
                String cause = f.cause() == null ? "unknown error" : f.cause().getMessage();
                close();
                throw new IllegalStateException("listener " + spec.id() + " could not bind "
                        + describe(spec.bind()) + ": " + cause, f.cause());
            }
            serverChannels.add(f.channel());
            InetSocketAddress local = (InetSocketAddress) f.channel().localAddress();
            bound.add(new BoundListener(spec, local));
            LOG.info("listener {} on {}", spec.id(), describe(local));
        }
    }

    private static String describe(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    public synchronized List<BoundListener> boundListeners() {
        return List.copyOf(bound);
    }

    public BrokerAdmin admin() {
        return admin;
    }

    /** The node's router, for the cluster and rule engine (same JVM). */
    public Broker broker() {
        return broker;
    }

    /** Installs the cluster seam (a no-op bridge by default: a single node). */
    public void installCluster(io.trellis.mqtt.cluster.ClusterBridge bridge) {
        broker.installCluster(bridge);
    }

    /** Stops accepting, disconnects clients (MQTT 5: 0x8B server shutting down), frees threads. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (Channel ch : serverChannels) ch.close().awaitUninterruptibly();
        serverChannels.clear();
        List<io.netty.util.concurrent.Future<?>> closing = new ArrayList<>();
        for (Session s : broker.sessions()) {
            Object owner = s.owner();
            if (owner instanceof SessionOwner o) closing.add(o.shutdown());
        }
        // Let the DISCONNECTs (0x8B) reach the clients before the event loops stop; bounded.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (io.netty.util.concurrent.Future<?> f : closing) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) break;
        }
        if (acceptGroup != null) acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (ioGroup != null) ioGroup.shutdownGracefully(0, 3, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (acceptGroup != null) acceptGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        bound.clear();
    }

    /** Installs the rule engine seam (every published message, before routing); null uninstalls it. */
    public void installPublishListener(io.trellis.mqtt.rules.PublishListener listener) {
        broker.installPublishListener(listener);
    }

    /** The event loops the MQTT connections (and so the sessions) run on; null before start. */
    public EventLoopGroup ioGroup() {
        return ioGroup;
    }
}

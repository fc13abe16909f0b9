package io.trellis.cluster.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.util.ReferenceCountUtil;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.forward.ForwardFrame;
import io.trellis.cluster.forward.ForwardReceiver;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.broker.Session;
import io.trellis.mqtt.broker.Subscription;
import io.trellis.mqtt.topic.TopicFilter;
import io.trellis.mqtt.transport.ChannelHandlerNames;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Not a test (no JUnit): the receiving node's side of forwarding alone, without sockets or the
 * sending node. FORWARD frames of 100 QoS 0 messages of 64 B (3 topics, 10 publishers, as
 * bin/bench-cluster sends them) go through {@link ForwardReceiver} on this thread, as on an RPC
 * connection's loop, into one subscriber session on its own event loop whose connection (an
 * in-VM channel with the MQTT encoder) counts the PUBLISH packets written. At most 8 frames'
 * worth waits undelivered. Prints msg/s (wall) and µs of process CPU per message per round. Uses
 * only what the receiver has always had (one-argument constructor, no backpressure), so the same
 * class measures an older build too. Run:
 *
 * <pre>
 * mvn -o -q -pl cluster -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp cluster/target/test-classes:cluster/target/classes:$(cat cluster/target/cp.txt) io.trellis.cluster.it.ForwardReceiveBench [frames] [rounds]
 * </pre>
 */
public final class ForwardReceiveBench {
    private static final int PER_FRAME = 100;

    private ForwardReceiveBench() {
    }

    public static void main(String[] args) throws Exception {
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            LocalAddress address = new LocalAddress(ForwardReceiveBench.class);
            AtomicLong written = new AtomicLong();
            new ServerBootstrap().group(loop).channel(LocalServerChannel.class).childHandler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    written.incrementAndGet();
                    ReferenceCountUtil.release(msg);
                }
            }).bind(address).sync();
            Channel subscriber = new Bootstrap().group(loop).channel(LocalChannel.class)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 << 20, 128 << 20)) // never drop here
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(ChannelHandlerNames.MQTT_ENCODER, MqttEncoder.INSTANCE);
                        }
                    }).connect(address).sync().channel();
            Broker broker = new Broker(BrokerSettings.defaults());
            Session session = broker.claim("sub", true, new Object(), subscriber.eventLoop()).session();
            subscriber.eventLoop().submit(() -> {
                session.attach(subscriber, 5, 65535, Integer.MAX_VALUE, 0, null);
                session.subscribe(new Subscription(session, TopicFilter.parse("t/#", 128), 0, false, false, 0, 0));
                return null;
            }).get(5, TimeUnit.SECONDS);

            List<ForwardFrame.Entry> entries = new ArrayList<>();
            for (int i = 0; i < PER_FRAME; i++) {
                entries.add(new ForwardFrame.Entry(new Message("t/" + (i % 3), new byte[64], 0, false, MqttProperties.NO_PROPERTIES,
                        "bench-p-" + (i % 10), 0), null, null));
            }
            ByteBuf frame = new ForwardFrame.ForwardV1(0, entries).encode(PooledByteBufAllocator.DEFAULT);
            ForwardReceiver receiver = new ForwardReceiver(broker);
            NodeName from = NodeName.parse("bench@127.0.0.1");
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            for (int round = 0; round < rounds; round++) {
                long target = written.get();
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                for (int f = 0; f < frames; f++) {
                    ByteBuf copy = frame.retainedDuplicate();
                    try {
                        receiver.received(from, copy);
                    } finally {
                        copy.release();
                    }
                    target += PER_FRAME;
                    while (written.get() < target - 8L * PER_FRAME) {
                        LockSupport.parkNanos(20_000);
                    }
                }
                while (written.get() < target) {
                    LockSupport.parkNanos(20_000);
                }
                long wall = System.nanoTime() - t0;
                long cpu = os.getProcessCpuTime() - cpu0;
                long n = (long) frames * PER_FRAME;
                System.out.printf("round %d: %,d messages, %,.0f msg/s, %.3f us CPU per message%n", round + 1, n, n * 1e9 / wall, cpu / 1e3 / n);
            }
            frame.release();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

package io.trellis.cluster.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.trellis.cluster.NodeName;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.broker.ClientInfo;
import io.trellis.mqtt.broker.LocalBrokerAdmin;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.broker.Session;
import io.trellis.mqtt.broker.Subscription;
import io.trellis.mqtt.topic.TopicFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The receiving end of forwarding: a frame's messages reach a subscriber loop as one task, and the
 * RPC connection stops reading until every frame it delivered has been run by the loops. An
 * in-VM (local) channel stands for the RPC connection; the subscriber is an away session whose
 * QoS 1 deliveries queue up, counted through the admin view.
 */
class ForwardReceiverTest {
    private static final NodeName PEER = NodeName.parse("a@127.0.0.1");

    /** A subscriber event loop that counts the tasks handed to it and can be held up. */
    private static final class SessionLoop extends SingleThreadEventExecutor {
        final AtomicInteger tasks = new AtomicInteger();

        SessionLoop() {
            super(null, new DefaultThreadFactory("forward-receiver-test"), true);
        }

        @Override
        public void execute(Runnable task) {
            tasks.incrementAndGet();
            super.execute(task);
        }

        @Override
        protected void run() {
            do {
                Runnable task = takeTask();
                if (task != null) {
                    runTask(task);
                    updateLastExecutionTime();
                }
            } while (!confirmShutdown());
        }

        /** Holds the loop until the returned latch is counted down. */
        CountDownLatch hold() {
            CountDownLatch release = new CountDownLatch(1);
            execute(() -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return release;
        }
    }

    private final MultiThreadIoEventLoopGroup channels = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final SessionLoop loop = new SessionLoop();
    private final Broker broker = new Broker(BrokerSettings.defaults());
    private final ForwardReceiver receiver = new ForwardReceiver(broker);
    private Channel server;
    private Channel connection;

    @BeforeEach
    void connect() throws Exception {
        LocalAddress address = new LocalAddress(LocalAddress.class); // unique per test
        server = new ServerBootstrap().group(channels).channel(LocalServerChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter()).bind(address).sync().channel();
        connection = new Bootstrap().group(channels).channel(LocalChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect(address).sync().channel();
    }

    @AfterEach
    void close() {
        connection.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
        channels.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void subscribe(String clientId, String filter) throws Exception {
        Session s = broker.claim(clientId, false, new Object(), loop).session();
        loop.submit(() -> s.subscribe(new Subscription(s, TopicFilter.parse(filter, 128), 1, false, false, 0, 0)))
                .get(5, TimeUnit.SECONDS);
    }

    private int queued(String clientId) {
        return new LocalBrokerAdmin(broker).client(clientId).map(ClientInfo::mqueueLen).orElse(-1);
    }

    private static ByteBuf frame(String topicPrefix, int from, int n) {
        List<ForwardFrame.Entry> entries = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            entries.add(new ForwardFrame.Entry(new Message(topicPrefix + (i % 7), ("m" + i).getBytes(StandardCharsets.UTF_8), 1,
                    false, MqttProperties.NO_PROPERTIES, "pub", 0), null, null));
        }
        return new ForwardFrame.ForwardV1(0, entries).encode(ByteBufAllocator.DEFAULT);
    }

    /** As the RPC connection's loop calls it; the frame is released afterwards, as there. */
    private void receive(ByteBuf frame) throws Exception {
        connection.eventLoop().submit(() -> {
            try {
                receiver.received(PEER, frame, connection);
            } finally {
                frame.release();
            }
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aFullFrameIsOneTaskAndTheConnectionWaitsForIt() throws Exception {
        subscribe("s", "t/#");
        CountDownLatch release = loop.hold();
        int before = loop.tasks.get();

        receive(frame("t/", 0, 512));

        assertThat(loop.tasks.get() - before).as("tasks for a frame of 512 messages").isEqualTo(1);
        assertThat(connection.config().isAutoRead()).as("reading while the loop has not delivered").isFalse();
        assertThat(receiver.received()).isEqualTo(512);
        release.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> connection.config().isAutoRead());
        assertThat(queued("s")).isEqualTo(512);
    }

    @Test
    void theConnectionResumesOnlyOnceEveryPausedFrameWasDelivered() throws Exception {
        subscribe("s", "t/#");
        CountDownLatch first = loop.hold();
        receive(frame("t/", 0, 10));
        CountDownLatch second = loop.hold(); // runs after the first frame's task, before the second's
        receive(frame("t/", 10, 10));

        first.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> queued("s") == 10);
        assertThat(connection.config().isAutoRead()).as("the second frame is not delivered yet").isFalse();
        second.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> connection.config().isAutoRead());
        assertThat(queued("s")).isEqualTo(20);
    }

    @Test
    void aFrameNobodyHereSubscribesToDoesNotPause() throws Exception {
        subscribe("s", "t/#");

        receive(frame("other/", 0, 5));

        assertThat(connection.config().isAutoRead()).isTrue();
        assertThat(receiver.received()).isEqualTo(5);
    }
}

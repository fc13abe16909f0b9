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
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The receiving end of forwarding: a frame's messages reach a subscriber loop as one task, and the
 * RPC connection stops reading while a window of its messages waits for the loops. An
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
    private final Broker broker = new Broker(settings(Map.of("maxMqueueLen", 2 * ForwardReceiver.MAX_UNDELIVERED)));
    private final ForwardReceiver receiver = new ForwardReceiver(broker);
    private Channel server;
    private Channel connection;

    /** The defaults with some fields changed, by record component name. */
    private static BrokerSettings settings(Map<String, Object> changes) {
        try {
            BrokerSettings d = BrokerSettings.defaults();
            RecordComponent[] rc = BrokerSettings.class.getRecordComponents();
            Object[] values = new Object[rc.length];
            Class<?>[] types = new Class<?>[rc.length];
            for (int i = 0; i < rc.length; i++) {
                types[i] = rc[i].getType();
                values[i] = changes.getOrDefault(rc[i].getName(), rc[i].getAccessor().invoke(d));
            }
            return BrokerSettings.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

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
    void aFullFrameIsOneTaskAndReadingGoesOnWithinTheWindow() throws Exception {
        subscribe("s", "t/#");
        CountDownLatch release = loop.hold();
        int before = loop.tasks.get();

        receive(frame("t/", 0, 512));

        assertThat(loop.tasks.get() - before).as("tasks for a frame of 512 messages").isEqualTo(1);
        assertThat(connection.config().isAutoRead()).as("512 undelivered is within the window").isTrue();
        assertThat(receiver.received()).isEqualTo(512);
        release.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> queued("s") == 512);
    }

    @Test
    void theConnectionStopsReadingBeyondTheWindowUntilTheLoopsCatchUp() throws Exception {
        subscribe("s", "t/#");
        CountDownLatch release = loop.hold();
        int frames = ForwardReceiver.MAX_UNDELIVERED / 512;
        for (int i = 0; i < frames - 1; i++) {
            receive(frame("t/", i * 512, 512));
            assertThat(connection.config().isAutoRead()).as("reading after frame " + (i + 1)).isTrue();
        }
        receive(frame("t/", (frames - 1) * 512, 512));
        assertThat(connection.config().isAutoRead()).as("reading with a full window undelivered").isFalse();

        release.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> connection.config().isAutoRead());
        assertThat(queued("s")).isEqualTo(frames * 512);
        receive(frame("t/", frames * 512, 1)); // the window is empty again
        assertThat(connection.config().isAutoRead()).isTrue();
    }

    @Test
    void aFrameNobodyHereSubscribesToDoesNotPause() throws Exception {
        subscribe("s", "t/#");

        receive(frame("other/", 0, 5));

        assertThat(connection.config().isAutoRead()).isTrue();
        assertThat(receiver.received()).isEqualTo(5);
    }
}

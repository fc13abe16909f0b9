package io.trellis.cluster.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcReceiver;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.config.Secret;
import io.trellis.mqtt.broker.Message;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A forwarder against a real RPC server whose receiver can withhold acknowledgements and cut the connection. */
class PeerForwarderTest {
    private static final String COOKIE = "Zq8Wx3Ec6Rv9Tb2Yn5Um1Ik4Ol7Pa0Sd";
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static HandshakeSettings settings(String node) {
        return new HandshakeSettings(NodeName.parse(node), CookieKey.of(new Secret(COOKIE)), Duration.ofSeconds(5),
                new RefusalLog(Duration.ofMinutes(1)));
    }

    @Test
    void qos1BatchesNotAcknowledgedAreSentAgainAfterTheConnectionIsCutUntilAcknowledged() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicBoolean cutFirst = new AtomicBoolean(true);
        RpcReceiver receiver = new RpcReceiver() {
            @Override
            public void received(NodeName from, ByteBuf frame) {
            }

            @Override
            public void received(NodeName from, ByteBuf frame, Channel connection) {
                try {
                    ForwardFrame.ForwardV1 f = (ForwardFrame.ForwardV1) ForwardFrame.decode(frame);
                    f.entries().forEach(e -> received.add(new String(e.message().payload(), StandardCharsets.UTF_8)));
                    if (cutFirst.compareAndSet(true, false)) {
                        connection.close(); // lost before the acknowledgement
                    } else {
                        connection.writeAndFlush(new ForwardFrame.AckV1(f.batchId()).encode(connection.alloc()));
                    }
                } catch (ForwardFrame.Malformed e) {
                    throw new AssertionError(e);
                }
            }
        };
        RpcServer server = new RpcServer(settings("b@127.0.0.1"), new InetSocketAddress("127.0.0.1", 0), 1 << 20, receiver, group);
        int port = server.start();
        RpcClient rpc = new RpcClient(settings("a@127.0.0.1"), NodeName.parse("b@127.0.0.1"), new InetSocketAddress("127.0.0.1", port),
                1, 1 << 20, Duration.ofSeconds(2), group);
        LongAdder dropped = new LongAdder();
        PeerForwarder forwarder = new PeerForwarder(NodeName.parse("b@127.0.0.1"), rpc, group.next(), 100, Duration.ofMillis(300), dropped);
        try {
            rpc.connect().get(5, TimeUnit.SECONDS);
            for (int i = 0; i < 10; i++) {
                forwarder.forward(new Message("t", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false, null, null, 0), null, null);
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> forwarder.held() == 0);
            assertThat(received).as("every message arrived, the unacknowledged ones again")
                    .containsAll(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"));
            assertThat(received.size()).isGreaterThan(10);
            assertThat(dropped.sum()).isZero();
        } finally {
            forwarder.close();
            server.close();
        }
    }

    @Test
    void closingAndTakingHeldHandsBackTheUnacknowledgedQos1MessagesInOrderInsteadOfDroppingThem() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        RpcReceiver neverAcks = new RpcReceiver() {
            @Override
            public void received(NodeName from, ByteBuf frame) {
            }

            @Override
            public void received(NodeName from, ByteBuf frame, Channel connection) {
                try {
                    ((ForwardFrame.ForwardV1) ForwardFrame.decode(frame)).entries()
                            .forEach(e -> received.add(new String(e.message().payload(), StandardCharsets.UTF_8)));
                } catch (ForwardFrame.Malformed e) {
                    throw new AssertionError(e);
                }
            }
        };
        RpcServer server = new RpcServer(settings("b@127.0.0.1"), new InetSocketAddress("127.0.0.1", 0), 1 << 20, neverAcks, group);
        int port = server.start();
        RpcClient rpc = new RpcClient(settings("a@127.0.0.1"), NodeName.parse("b@127.0.0.1"), new InetSocketAddress("127.0.0.1", port),
                2, 1 << 20, Duration.ofSeconds(2), group);
        LongAdder dropped = new LongAdder();
        PeerForwarder forwarder = new PeerForwarder(NodeName.parse("b@127.0.0.1"), rpc, group.next(), 100, Duration.ofMinutes(1), dropped);
        try {
            rpc.connect().get(5, TimeUnit.SECONDS);
            for (int i = 0; i < 6; i++) {
                forwarder.forward(new Message("t", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false, null, null, 0), null, null);
            }
            forwarder.forward(new Message("t", "q0".getBytes(StandardCharsets.UTF_8), 0, false, null, null, 0), null, null);
            await().atMost(10, TimeUnit.SECONDS).until(() -> received.size() == 7);

            List<ForwardFrame.Entry> held = forwarder.closeAndTakeHeld();
            assertThat(held).extracting(e -> new String(e.message().payload(), StandardCharsets.UTF_8))
                    .containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
            assertThat(dropped.sum()).as("nothing dropped: the QoS 0 message went out, the QoS 1 ones came back").isZero();
            assertThat(forwarder.held()).isZero();
            forwarder.forward(new Message("t", "late".getBytes(StandardCharsets.UTF_8), 1, false, null, null, 0), null, null);
            assertThat(dropped.sum()).as("a closed forwarder drops and counts").isEqualTo(1);
        } finally {
            forwarder.close();
            server.close();
        }
    }
}

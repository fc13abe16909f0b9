package io.trellis.cluster.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.data.DataMessageTest;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.config.Secret;
import io.trellis.mqtt.broker.Message;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class ForwardFrameTest {

    @Test
    void forwardAndAckRoundTrip() throws Exception {
        Message m = DataMessageTest.message("t/1", "x");
        ForwardFrame.ForwardV1 f = new ForwardFrame.ForwardV1(513, List.of(new ForwardFrame.Entry(m, null, null),
                new ForwardFrame.Entry(m, "g", "t/+")));
        ByteBuf buf = f.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            ForwardFrame.ForwardV1 back = (ForwardFrame.ForwardV1) ForwardFrame.decode(buf);
            assertThat(back.batchId()).isEqualTo(513);
            assertThat(back.entries()).hasSize(2);
            assertThat(back.entries().get(1).group()).isEqualTo("g");
            assertThat(back.entries().get(1).filter()).isEqualTo("t/+");
            DataMessageTest.assertSameMessage(back.entries().get(0).message(), m);
        } finally {
            buf.release();
        }
        ByteBuf ack = new ForwardFrame.AckV1(77).encode(UnpooledByteBufAllocator.DEFAULT);
        assertThat(ForwardFrame.decode(ack)).isEqualTo(new ForwardFrame.AckV1(77));
        ack.release();
        assertThatThrownBy(() -> ForwardFrame.decode(Unpooled.wrappedBuffer(new byte[] {9, 1})))
                .isInstanceOf(ForwardFrame.Malformed.class);
    }

    @Test
    void aPeerThatCannotBeReachedDropsQos0AndHoldsQos1UpToTheBoundThenDropsAndCounts() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed below: connections are refused
        }
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        HandshakeSettings hs = new HandshakeSettings(NodeName.parse("n1@127.0.0.1"),
                CookieKey.of(new Secret("Zq8Wx3Ec6Rv9Tb2Yn5Um1Ik4Ol7Pa0Sd")), Duration.ofSeconds(5), new RefusalLog(Duration.ofMinutes(1)));
        RpcClient rpc = new RpcClient(hs, NodeName.parse("n2@127.0.0.1"), new InetSocketAddress("127.0.0.1", port), 1, 1 << 20,
                Duration.ofSeconds(1), group);
        LongAdder dropped = new LongAdder();
        PeerForwarder f = new PeerForwarder(NodeName.parse("n2@127.0.0.1"), rpc, group.next(), 3, Duration.ofSeconds(1), dropped);
        try {
            Message q0 = new Message("t", new byte[1], 0, false, null, null, 0);
            Message q1 = new Message("t", new byte[1], 1, false, null, null, 0);
            f.forward(q0, null, null);
            assertThat(dropped.sum()).as("QoS 0 to an unwritable connection").isEqualTo(1);
            for (int i = 0; i < 5; i++) {
                f.forward(q1, null, null);
            }
            assertThat(dropped.sum()).as("QoS 1 beyond the bound of 3").isEqualTo(3);
            assertThat(f.held()).isEqualTo(3);
        } finally {
            f.close();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        assertThat(dropped.sum()).as("held messages are dropped and counted on close").isEqualTo(6);
    }
}

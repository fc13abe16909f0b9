package io.trellis.cluster.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeFailedException;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.config.Secret;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RpcTest {
    private static final String COOKIE = "Pl9Ok8Ij7Uh6Yg5Tf4Rd3Es2Wa1Qz0Xc";
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static HandshakeSettings settings(String node, String cookie) {
        return new HandshakeSettings(NodeName.parse(node), CookieKey.of(new Secret(cookie)), Duration.ofSeconds(5), new RefusalLog(Duration.ofMinutes(1)));
    }

    private RpcServer server(RpcReceiver receiver) throws InterruptedException {
        RpcServer server = new RpcServer(settings("b@127.0.0.1", COOKIE), new InetSocketAddress("127.0.0.1", 0), 64 * 1024, receiver, group);
        open.add(server);
        return server;
    }

    private RpcClient client(String cookie, int port, int clientNum) {
        RpcClient client = new RpcClient(settings("a@127.0.0.1", cookie), NodeName.parse("b@127.0.0.1"),
                new InetSocketAddress("127.0.0.1", port), clientNum, 64 * 1024, Duration.ofSeconds(5), group);
        open.add(client);
        return client;
    }

    @Test
    void framesOfOneTopicArriveInOrderOverClientNumConnections() throws Exception {
        Queue<String> received = new ConcurrentLinkedQueue<>();
        Map<NodeName, Integer> senders = new ConcurrentHashMap<>();
        int port = server((from, frame) -> {
            senders.merge(from, 1, Integer::sum);
            received.add(frame.toString(StandardCharsets.UTF_8));
        }).start();
        RpcClient client = client(COOKIE, port, 4);
        client.connect().get(10, TimeUnit.SECONDS);

        for (int seq = 0; seq < 200; seq++) {
            String topic = "t/" + (seq % 10);
            assertThat(client.isWritable(topic)).isTrue();
            client.send(topic, Unpooled.copiedBuffer(topic + "|" + seq, StandardCharsets.UTF_8));
        }
        await().until(() -> received.size() == 200);
        assertThat(senders).containsOnlyKeys(NodeName.parse("a@127.0.0.1"));
        for (int t = 0; t < 10; t++) {
            String topic = "t/" + t;
            List<Integer> seqs = received.stream().filter(r -> r.startsWith(topic + "|"))
                    .map(r -> Integer.parseInt(r.substring(r.indexOf('|') + 1))).toList();
            assertThat(seqs).hasSize(20).isSorted();
        }
    }

    @Test
    void topicsSpreadOverConnectionsStably() {
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int index = RpcClient.connectionIndex("sensor/" + i, 10);
            assertThat(index).isBetween(0, 9).isEqualTo(RpcClient.connectionIndex("sensor/" + i, 10));
            used.add(index);
        }
        assertThat(used).hasSize(10);
        assertThat(RpcClient.connectionIndex("x", 1)).isZero();
    }

    @Test
    void aClientWithAnotherCookieGetsCookieMismatchAndDeliversNothing() throws Exception {
        Queue<String> received = new ConcurrentLinkedQueue<>();
        int port = server((from, frame) -> received.add(frame.toString(StandardCharsets.UTF_8))).start();
        RpcClient client = client("Another0Long1Random2Cookie3Value4", port, 2);
        Throwable thrown = catchThrowable(() -> client.connect().get(10, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(HandshakeFailedException.class);
        assertThat(((HandshakeFailedException) thrown.getCause()).reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
        assertThat(client.isWritable("t")).isFalse();
        assertThat(client.send("t", Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)).await().cause())
                .hasMessageContaining("is down");
        assertThat(received).isEmpty();
    }

    @Test
    void aBadClientNumIsRefusedNamingTheKey() {
        assertThat(catchThrowable(() -> client(COOKIE, 1, 0))).hasMessageContaining("rpc.client_num 0 is out of range");
    }
}

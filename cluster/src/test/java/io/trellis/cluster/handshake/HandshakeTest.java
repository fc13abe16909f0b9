package io.trellis.cluster.handshake;

import static io.trellis.cluster.handshake.HandshakeFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.trellis.cluster.ClusterChannel;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** Real Netty acceptors and diallers (and raw sockets playing a bad peer) on loopback, random ports. */
class HandshakeTest {
    private static final String COOKIE = "Xy7Gq2Lr9sT4vN1mQ8wE3kY6uI0oP5aSdF";
    private static final String OTHER_COOKIE = "Hj3Kl8Zx1Cv6Bn0Mq4We9Rt2Yu7Io5PaS";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private HandshakeFixture fixture;
    private ListAppender<ILoggingEvent> logs;
    private Logger root;
    private Level rootLevel;

    @BeforeEach
    void setUp() {
        fixture = new HandshakeFixture();
        root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        rootLevel = root.getLevel();
        root.setLevel(Level.DEBUG); // the debug lines must not show the cookie either
        logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
        root.detachAppender(logs);
        root.setLevel(rootLevel);
        // Whatever each test did, no log line carries a cookie.
        for (ILoggingEvent e : logs.list) {
            String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
            assertThat(text).doesNotContain(COOKIE, OTHER_COOKIE);
        }
    }

    private static HandshakeFailure reasonOf(CompletableFuture<HandshakeCompleted> result) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> result.get(10, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).cause().isInstanceOf(HandshakeFailedException.class);
        return ((HandshakeFailedException) thrown.getCause()).reason();
    }

    private static HandshakeFailed serverFailure(HandshakeFixture.Acceptor acceptor) {
        await().atMost(Duration.ofSeconds(10)).until(() -> acceptor.recorder.events.stream().anyMatch(HandshakeFailed.class::isInstance));
        return (HandshakeFailed) acceptor.recorder.events.stream().filter(HandshakeFailed.class::isInstance).findFirst().orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(ClusterChannel.class)
    void nodesWithTheSameCookieConnectAndThenExchangeFrames(ClusterChannel channel) throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(channel, settings("b2@127.0.0.1", COOKIE, TIMEOUT));
        HandshakeFixture.Dial dial = fixture.dial(b, channel, settings("a1@127.0.0.1", COOKIE, TIMEOUT), "b2@127.0.0.1");

        HandshakeCompleted done = dial.result().get(10, TimeUnit.SECONDS);
        assertThat(done.peer().toString()).isEqualTo("b2@127.0.0.1");
        assertThat(done.channel()).isEqualTo(channel);
        assertThat(done.protocolVersion()).isEqualTo(1);
        await().until(() -> b.recorder.events.stream().anyMatch(e -> e instanceof HandshakeCompleted c
                && c.peer().toString().equals("a1@127.0.0.1") && c.localRole() == Role.ACCEPTOR));
        assertThat(dial.recorder().events).containsExactly(done);

        // The handshake stages are gone; the framed application channel works both ways.
        assertThat(dial.channel().pipeline().names()).doesNotContain("cluster-handshake", "cluster-handshake-frame-decoder");
        dial.channel().writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.UTF_8)).sync();
        await().until(() -> dial.recorder().frames.contains("pong:ping"));
    }

    @Test
    void aWrongCookieIsCookieMismatchOnBothSides() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.DIST, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        HandshakeFixture.Dial dial = fixture.dial(b, ClusterChannel.DIST, settings("a@127.0.0.1", OTHER_COOKIE, TIMEOUT), "b@127.0.0.1");

        assertThat(reasonOf(dial.result())).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
        HandshakeFailed server = serverFailure(b);
        assertThat(server.reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
        assertThat(server.claimedName()).isEqualTo("a@127.0.0.1");
        assertThat(b.recorder.events).noneMatch(HandshakeCompleted.class::isInstance);
        assertThat(dial.recorder().events).noneMatch(HandshakeCompleted.class::isInstance);
        await().until(() -> !dial.channel().isActive());

        // Both sides logged it in operator words.
        await().until(() -> logs.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("refused node a@127.0.0.1 at /127.0.0.1:")
                && e.getFormattedMessage().contains("on distribution: cookie mismatch")));
        assertThat(logs.list).anyMatch(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().contains("node b@127.0.0.1 at /127.0.0.1:" + b.address().getPort()
                        + " refused our distribution connection: cookie mismatch"));
    }

    @Test
    void theAcceptorNeverProvesItselfToAPeerWithAWrongCookie() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.RPC, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        try (RawPeer peer = new RawPeer(b.address())) {
            byte[] nonce = new byte[32];
            peer.send(new HandshakeMessage.Hello(1, 1, ClusterChannel.RPC, "x@127.0.0.1", "b@127.0.0.1", nonce));
            HandshakeMessage.Challenge challenge = (HandshakeMessage.Challenge) peer.receive();
            assertThat(challenge.nonce()).hasSize(32);
            peer.send(new HandshakeMessage.Proof(new byte[32]));
            assertThat(peer.receive()).isInstanceOfSatisfying(HandshakeMessage.Refusal.class,
                    r -> assertThat(r.reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH));
            peer.assertClosed();
        }
        assertThat(serverFailure(b).reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
    }

    @Test
    void eachConnectionGetsAFreshAcceptorNonce() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.RPC, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        List<String> nonces = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (RawPeer peer = new RawPeer(b.address())) {
                peer.send(new HandshakeMessage.Hello(1, 1, ClusterChannel.RPC, "x@127.0.0.1", "b@127.0.0.1", new byte[32]));
                nonces.add(java.util.HexFormat.of().formatHex(((HandshakeMessage.Challenge) peer.receive()).nonce()));
            }
        }
        assertThat(nonces).doesNotHaveDuplicates();
    }

    @Test
    void aDiallerExpectingAnotherNodeIsRefusedBeforeAnyChallenge() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.DIST, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        HandshakeFixture.Dial dial = fixture.dial(b, ClusterChannel.DIST, settings("a@127.0.0.1", COOKIE, TIMEOUT), "c@127.0.0.1");
        assertThat(reasonOf(dial.result())).isEqualTo(HandshakeFailure.UNEXPECTED_NODE_NAME);
        assertThat(serverFailure(b).reason()).isEqualTo(HandshakeFailure.UNEXPECTED_NODE_NAME);

        try (RawPeer peer = new RawPeer(b.address())) {
            peer.send(new HandshakeMessage.Hello(1, 1, ClusterChannel.DIST, "x@127.0.0.1", "c@127.0.0.1", new byte[32]));
            assertThat(peer.receive()).isInstanceOfSatisfying(HandshakeMessage.Refusal.class,
                    r -> assertThat(r.reason()).isEqualTo(HandshakeFailure.UNEXPECTED_NODE_NAME));
            peer.assertClosed();
        }
    }

    @Test
    void aDistributionDiallerAtAnRpcPortIsChannelMismatch() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.RPC, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        HandshakeFixture.Dial dial = fixture.dial(b, ClusterChannel.DIST, settings("a@127.0.0.1", COOKIE, TIMEOUT), "b@127.0.0.1");
        assertThat(reasonOf(dial.result())).isEqualTo(HandshakeFailure.CHANNEL_MISMATCH);
        assertThat(serverFailure(b).reason()).isEqualTo(HandshakeFailure.CHANNEL_MISMATCH);
    }

    @Test
    void noCommonProtocolVersionIsRefusedOnBothSides() throws Exception {
        HandshakeSettings newer = new HandshakeSettings(io.trellis.cluster.NodeName.parse("b@127.0.0.1"),
                CookieKey.of(new io.trellis.config.Secret(COOKIE)), TIMEOUT, new RefusalLog(Duration.ofMinutes(1)), 2, 3);
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.DIST, newer);
        HandshakeFixture.Dial dial = fixture.dial(b, ClusterChannel.DIST, settings("a@127.0.0.1", COOKIE, TIMEOUT), "b@127.0.0.1");
        assertThat(reasonOf(dial.result())).isEqualTo(HandshakeFailure.PROTOCOL_VERSION);
        assertThat(serverFailure(b).reason()).isEqualTo(HandshakeFailure.PROTOCOL_VERSION);
    }

    @Test
    void aPeerThatStallsIsCutOffAfterTheAuthenticationTimeout() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.RPC, settings("b@127.0.0.1", COOKIE, Duration.ofMillis(300)));
        try (RawPeer peer = new RawPeer(b.address())) {
            assertThat(peer.receive()).isInstanceOfSatisfying(HandshakeMessage.Refusal.class,
                    r -> assertThat(r.reason()).isEqualTo(HandshakeFailure.HANDSHAKE_TIMEOUT));
            peer.assertClosed();
        }
        HandshakeFailed failed = serverFailure(b);
        assertThat(failed.reason()).isEqualTo(HandshakeFailure.HANDSHAKE_TIMEOUT);
        assertThat(failed.claimedName()).isNull();
    }

    /** An impostor acceptor without the cookie: answers HELLO, then sends {@code proofFor(helloNonce)}. */
    private HandshakeFailure dialImpostor(java.util.function.Function<byte[], HandshakeMessage[]> answers) throws Exception {
        try (java.net.ServerSocket impostor = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(fixture.group)
                    .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                    .handler(io.trellis.cluster.transport.ClusterChannelInitializer.forDialler(ClusterChannel.DIST,
                            settings("a@127.0.0.1", COOKIE, TIMEOUT), io.trellis.cluster.NodeName.parse("b@127.0.0.1"),
                            HandshakeFixture.MAX_FRAME, () -> new HandshakeFixture.Recorder(false)))
                    .connect(impostor.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = impostor.accept()) {
                DataInputStream in = new DataInputStream(accepted.getInputStream());
                byte[] body = new byte[in.readUnsignedShort()];
                in.readFully(body);
                HandshakeMessage.Hello hello = (HandshakeMessage.Hello) HandshakeMessage.decode(Unpooled.wrappedBuffer(body));
                for (HandshakeMessage m : answers.apply(hello.nonce())) {
                    ByteBuf frame = m.encode(ByteBufAllocator.DEFAULT);
                    byte[] bytes = new byte[frame.readableBytes()];
                    frame.readBytes(bytes);
                    frame.release();
                    accepted.getOutputStream().write(bytes);
                }
                accepted.getOutputStream().flush();
                return reasonOf(HandshakeHandler.result(ch));
            }
        }
    }

    @Test
    void aDiallerRefusesAnAcceptorThatCannotProveTheCookie() throws Exception {
        byte[] theirNonce = new byte[32];
        theirNonce[0] = 1;
        assertThat(dialImpostor(helloNonce -> new HandshakeMessage[] {
                new HandshakeMessage.Challenge(1, theirNonce), new HandshakeMessage.Proof(new byte[32])}))
                .isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
    }

    @Test
    void aDiallerRefusesItsOwnNonceReflectedBack() throws Exception {
        assertThat(dialImpostor(helloNonce -> new HandshakeMessage[] {new HandshakeMessage.Challenge(1, helloNonce)}))
                .isEqualTo(HandshakeFailure.MALFORMED);
    }

    @Test
    void aDiallerRefusesAVersionItDidNotOffer() throws Exception {
        assertThat(dialImpostor(helloNonce -> new HandshakeMessage[] {new HandshakeMessage.Challenge(7, new byte[32])}))
                .isEqualTo(HandshakeFailure.PROTOCOL_VERSION);
    }

    @Test
    void aStalledAcceptorTimesOutTheDialler() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            HandshakeSettings a = settings("a@127.0.0.1", COOKIE, Duration.ofMillis(300));
            io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(fixture.group)
                    .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                    .handler(io.trellis.cluster.transport.ClusterChannelInitializer.forDialler(ClusterChannel.DIST, a,
                            io.trellis.cluster.NodeName.parse("b@127.0.0.1"), HandshakeFixture.MAX_FRAME, () -> new HandshakeFixture.Recorder(false)))
                    .connect(silent.getLocalSocketAddress()).sync().channel();
            assertThat(reasonOf(HandshakeHandler.result(ch))).isEqualTo(HandshakeFailure.HANDSHAKE_TIMEOUT);
        }
    }

    @Test
    void anOversizedPreHandshakeFrameClosesAtOnce() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.DIST, settings("b@127.0.0.1", COOKIE, TIMEOUT));
        try (RawPeer peer = new RawPeer(b.address())) {
            peer.out.write(new byte[] {0x02, 0x01}); // a 513-byte frame announced; no body needed
            peer.out.flush();
            assertThat(peer.receive()).isInstanceOfSatisfying(HandshakeMessage.Refusal.class,
                    r -> assertThat(r.reason()).isEqualTo(HandshakeFailure.MALFORMED));
            peer.assertClosed();
        }
        assertThat(serverFailure(b).reason()).isEqualTo(HandshakeFailure.MALFORMED);
    }

    @Test
    void nothingTheApplicationWritesLeavesBeforeTheHandshake() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            io.netty.channel.Channel ch = new io.netty.bootstrap.Bootstrap().group(fixture.group)
                    .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                    .handler(io.trellis.cluster.transport.ClusterChannelInitializer.forDialler(ClusterChannel.DIST,
                            settings("a@127.0.0.1", COOKIE, TIMEOUT), io.trellis.cluster.NodeName.parse("b@127.0.0.1"),
                            HandshakeFixture.MAX_FRAME, () -> new HandshakeFixture.Recorder(false)))
                    .connect(silent.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = silent.accept()) {
                io.netty.channel.ChannelFuture write = ch.writeAndFlush(Unpooled.copiedBuffer("early", StandardCharsets.UTF_8));
                assertThat(write.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(write.cause()).hasMessageContaining("handshake has not completed");
                assertThat(HandshakeHandler.result(ch)).isNotDone();
                // Only HELLO reached the wire.
                DataInputStream in = new DataInputStream(accepted.getInputStream());
                byte[] hello = new byte[in.readUnsignedShort()];
                in.readFully(hello);
                assertThat(hello[0]).isEqualTo((byte) 1);
                accepted.setSoTimeout(200);
                assertThatThrownBy(in::read).isInstanceOf(java.net.SocketTimeoutException.class);
            }
        }
    }

    @Test
    void aFloodOfBadHandshakesDoesNotStopAGoodNode() throws Exception {
        HandshakeFixture.Acceptor b = fixture.acceptor(ClusterChannel.DIST, settings("b@127.0.0.1", COOKIE, Duration.ofSeconds(3)));
        List<RawPeer> flood = new ArrayList<>();
        try {
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                RawPeer peer = new RawPeer(b.address());
                flood.add(peer);
                int kind = i % 3;
                sent.add(CompletableFuture.runAsync(() -> {
                    try {
                        if (kind == 0) {
                            peer.send(new HandshakeMessage.Hello(1, 1, ClusterChannel.DIST, "x@127.0.0.1", "b@127.0.0.1", new byte[32]));
                            peer.send(new HandshakeMessage.Proof(new byte[32]));
                        } else if (kind == 1) {
                            peer.out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, 'G', 'E', 'T'});
                        }
                        // kind 2: connect and stall
                    } catch (IOException e) {
                        // the acceptor may already have closed: that is fine
                    }
                }));
            }
            // While the flood is open, a good node still gets in.
            HandshakeFixture.Dial good = fixture.dial(b, ClusterChannel.DIST, settings("a@127.0.0.1", COOKIE, TIMEOUT), "b@127.0.0.1");
            assertThat(good.result().get(10, TimeUnit.SECONDS).peer().toString()).isEqualTo("b@127.0.0.1");
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(15)).until(() -> b.recorder.events.stream().filter(HandshakeFailed.class::isInstance).count() == 200);
        } finally {
            for (RawPeer peer : flood) {
                peer.close();
            }
        }
        // Rate limited: one line per (claimed name, address), not 200.
        assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("refused")).count())
                .isLessThanOrEqualTo(2);
    }

    @Test
    void nodesConnectOverIpv6Loopback() throws Exception {
        Assumptions.assumeTrue(ipv6LoopbackWorks(), "no IPv6 loopback on this machine");
        HandshakeFixture.Acceptor b = fixture.acceptor("::1", ClusterChannel.DIST, settings("b@::1", COOKIE, TIMEOUT));
        HandshakeFixture.Dial dial = fixture.dial(b, ClusterChannel.DIST, settings("a@::1", COOKIE, TIMEOUT), "b@[::1]");
        assertThat(dial.result().get(10, TimeUnit.SECONDS).peer().toString()).isEqualTo("b@::1");
        assertThat(((InetSocketAddress) dial.channel().remoteAddress()).getAddress()).isInstanceOf(java.net.Inet6Address.class);
    }

    private static boolean ipv6LoopbackWorks() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A hand-driven peer on a plain socket, to send what a Netty dialler never would. */
    static final class RawPeer implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final DataInputStream in;

        RawPeer(InetSocketAddress to) throws IOException {
            socket = new Socket();
            socket.connect(to, 5000);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            InputStream raw = socket.getInputStream();
            in = new DataInputStream(raw);
        }

        void send(HandshakeMessage m) throws IOException {
            ByteBuf frame = m.encode(ByteBufAllocator.DEFAULT);
            try {
                byte[] bytes = new byte[frame.readableBytes()];
                frame.readBytes(bytes);
                out.write(bytes);
                out.flush();
            } finally {
                frame.release();
            }
        }

        HandshakeMessage receive() throws Exception {
            int length = in.readUnsignedShort();
            byte[] body = new byte[length];
            in.readFully(body);
            ByteBuf buf = Unpooled.wrappedBuffer(body);
            try {
                return HandshakeMessage.decode(buf);
            } finally {
                buf.release();
            }
        }

        void assertClosed() throws IOException {
            try {
                assertThat(in.read()).as("the acceptor closed the connection").isEqualTo(-1);
            } catch (java.net.SocketException e) {
                // connection reset: closed too
            } catch (EOFException e) {
                // closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

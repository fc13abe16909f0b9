package io.trellis.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeFailedException;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.config.Secret;
import io.trellis.security.TlsOptions;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TLS on the cluster RPC channel, with each refusal naming its cause on the dialler (what
 * {@code ctl cluster join} shows), on both TLS engines.
 */
class TlsRefusalTest {
    private static final String COOKIE = "Pl9Ok8Ij7Uh6Yg5Tf4Rd3Es2Wa1Qz0Xc";
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<AutoCloseable> open = new ArrayList<>();
    @TempDir
    Path dir;

    static Stream<SslProvider> providers() {
        return OpenSsl.isAvailable() ? Stream.of(SslProvider.JDK, SslProvider.OPENSSL) : Stream.of(SslProvider.JDK);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A CA and node certificates for 127.0.0.1 written as PEM files. */
    final class Pki {
        final CertificateAuthority ca;
        final Path caFile;

        Pki(String name) throws Exception {
            ca = CertificateAuthority.create(name, KeyPairs.ecP256(), Duration.ofDays(30));
            caFile = write(name + "-ca.pem", PemWriter.certificates(ca.certificate()));
        }

        TlsOptions node(String node, Instant notBefore, Instant notAfter) throws Exception {
            return node(node, notBefore, notAfter, "127.0.0.1");
        }

        TlsOptions node(String node, Instant notBefore, Instant notAfter, String san) throws Exception {
            KeyPair kp = KeyPairs.ecP256();
            X509Certificate cert = ca.issue(node, List.of(san), kp, notBefore, notAfter,
                    CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT);
            Path certFile = write(node + ".pem", PemWriter.certificates(cert));
            Path keyFile = write(node + ".key", PemWriter.pkcs8(kp.getPrivate()));
            return new TlsOptions(certFile, keyFile, null, caFile, true, true, List.of("tlsv1.3", "tlsv1.2"), List.of());
        }

        TlsOptions node(String node) throws Exception {
            return node(node, Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofDays(1)));
        }
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static HandshakeSettings settings(String node, String cookie, ChannelTls rpcTls) {
        return new HandshakeSettings(NodeName.parse(node), CookieKey.of(new Secret(cookie)), Duration.ofSeconds(5),
                new RefusalLog(Duration.ofMinutes(1))).withTransportSecurity(new TransportSecurity(ChannelTls.PLAIN, rpcTls));
    }

    private int server(ChannelTls tls, Queue<String> received) throws Exception {
        RpcServer server = new RpcServer(settings("b@127.0.0.1", COOKIE, tls), new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                (from, frame) -> received.add(frame.toString(StandardCharsets.UTF_8)), group);
        open.add(server);
        return server.start();
    }

    private RpcClient client(ChannelTls tls, String cookie, int port) {
        RpcClient client = new RpcClient(settings("a@127.0.0.1", cookie, tls), NodeName.parse("b@127.0.0.1"),
                new InetSocketAddress("127.0.0.1", port), 1, 64 * 1024, Duration.ofSeconds(5), group);
        open.add(client);
        return client;
    }

    /** The reason the dialler's connect failed with. */
    private HandshakeFailedException refusal(RpcClient client) {
        Throwable t = catchThrowable(() -> client.connect().get(15, TimeUnit.SECONDS));
        assertThat(t).isInstanceOf(ExecutionException.class);
        assertThat(t.getCause()).isInstanceOf(HandshakeFailedException.class);
        return (HandshakeFailedException) t.getCause();
    }

    private static ChannelTls tls(TlsOptions options, SslProvider provider) throws Exception {
        return ChannelTls.fromOptions(options, false, provider);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void framesCrossInsideTls(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        Queue<String> received = new ConcurrentLinkedQueue<>();
        int port = server(tls(pki.node("b"), provider), received);
        RpcClient client = client(tls(pki.node("a"), provider), COOKIE, port);
        client.connect().get(15, TimeUnit.SECONDS);
        client.send("t", Unpooled.copiedBuffer("hello over TLS", StandardCharsets.UTF_8));
        await().until(() -> received.contains("hello over TLS"));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void certificateFromAnotherCaIsRefused(SslProvider provider) throws Exception {
        Pki ours = new Pki("ours");
        Pki theirs = new Pki("theirs");
        // The acceptor's certificate comes from a CA the dialler does not trust.
        TlsOptions foreign = theirs.node("b");
        TlsOptions acceptor = new TlsOptions(foreign.certfile(), foreign.keyfile(), null, ours.caFile, true, true, foreign.versions(), List.of());
        int port = server(tls(acceptor, provider), new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(tls(ours.node("a"), provider), COOKIE, port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.TLS_UNKNOWN_CA);
        assertThat(e.getMessage()).contains("certificate signed by an unknown CA");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void diallerWithoutCertificateIsRefusedWhenFailIfNoPeerCert(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        int port = server(tls(pki.node("b"), provider), new ConcurrentLinkedQueue<>());
        TlsOptions noCert = new TlsOptions(null, null, null, pki.caFile, true, true, List.of("tlsv1.3", "tlsv1.2"), List.of());
        SslContext client = io.trellis.security.TlsContexts.forClient(noCert, false, provider);
        HandshakeFailedException e = refusal(client(ChannelTls.of(client, client), COOKIE, port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.TLS_NO_PEER_CERT);
        assertThat(e.getMessage()).contains("peer sent no certificate (fail_if_no_peer_cert = true)");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void expiredCertificateIsRefused(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        TlsOptions expired = pki.node("b", Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
        // TlsMaterial refuses to load an expired certificate, so the acceptor's context is built by hand.
        SslContext server = SslContextBuilder.forServer(expired.certfile().toFile(), expired.keyfile().toFile())
                .sslProvider(provider).trustManager(pki.caFile.toFile()).clientAuth(ClientAuth.REQUIRE).build();
        int port = server(ChannelTls.of(server, server), new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(tls(pki.node("a"), provider), COOKIE, port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.TLS_CERT_EXPIRED);
        assertThat(e.getMessage()).contains("certificate expired");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void plainDiallerAgainstTlsAcceptorIsToldSo(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        int port = server(tls(pki.node("b"), provider), new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(ChannelTls.PLAIN, COOKIE, port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.PEER_EXPECTS_TLS);
        assertThat(e.getMessage()).contains("peer expects TLS, this node speaks plain TCP");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void tlsDiallerAgainstPlainAcceptorIsToldSo(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        int port = server(ChannelTls.PLAIN, new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(tls(pki.node("a"), provider), COOKIE, port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.PEER_NOT_TLS);
        assertThat(e.getMessage()).contains("peer speaks plain TCP");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void verifyPeerHostRefusesACertificateForAnotherHostAndAcceptsTheRightOne(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        Instant from = Instant.now().minusSeconds(60);
        Instant to = Instant.now().plus(Duration.ofDays(1));
        int wrongHost = server(tls(pki.node("b", from, to, "10.9.9.9"), provider), new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(ChannelTls.fromOptions(pki.node("a"), true, provider), COOKIE, wrongHost));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.TLS_HOST_MISMATCH);

        int rightHost = server(tls(pki.node("b2", from, to, "127.0.0.1"), provider), new ConcurrentLinkedQueue<>());
        client(ChannelTls.fromOptions(pki.node("a2"), true, provider), COOKIE, rightHost).connect().get(15, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void rightCertificateWrongCookieIsACookieMismatch(SslProvider provider) throws Exception {
        Pki pki = new Pki("ca");
        int port = server(tls(pki.node("b"), provider), new ConcurrentLinkedQueue<>());
        HandshakeFailedException e = refusal(client(tls(pki.node("a"), provider), "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp", port));
        assertThat(e.reason()).isEqualTo(HandshakeFailure.COOKIE_MISMATCH);
    }
}

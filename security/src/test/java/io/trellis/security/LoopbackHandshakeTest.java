package io.trellis.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.trellis.security.pki.KeyPairs;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Real TLS handshakes over loopback TCP between contexts built from generated PEM files. */
class LoopbackHandshakeTest {
    private static EventLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** What each side saw: null = handshake succeeded. */
    record Outcome(Throwable server, Throwable client, SSLSession serverSession) {
        boolean bothOk() {
            return server == null && client == null;
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void serverAuthOnly(SslProvider provider) throws Exception {
        assumeProvider(provider);
        TestPki pki = new TestPki(dir);
        TestPki.Leaf server = pki.leaf("server");
        Path ca = pki.caFile();
        Outcome o = handshake(TlsContexts.forServer(server.server(null, false, false), provider),
                TlsContexts.forClient(TestPki.clientOptions(null, ca), true, provider));
        assertThat(o.bothOk()).as("%s", o).isTrue();
        assertThat(o.serverSession().getProtocol()).isEqualTo("TLSv1.3");
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void mutualAuthWithClientCertificate(SslProvider provider) throws Exception {
        assumeProvider(provider);
        TestPki pki = new TestPki(dir);
        Path ca = pki.caFile();
        Outcome o = handshake(TlsContexts.forServer(pki.leaf("server").server(ca, true, true), provider),
                TlsContexts.forClient(TestPki.clientOptions(pki.leaf("client", KeyPairs.rsa(2048)), ca), true, provider));
        assertThat(o.bothOk()).as("%s", o).isTrue();
        X509Certificate peer = (X509Certificate) o.serverSession().getPeerCertificates()[0];
        assertThat(peer.getSubjectX500Principal().getName()).contains("CN=client");
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void verifyPeerRefusesCertificateFromAnotherCa(SslProvider provider) throws Exception {
        assumeProvider(provider);
        TestPki pki = new TestPki(dir.resolve("a"));
        TestPki other = new TestPki(dir.resolve("b"));
        Files.createDirectories(pki.dir);
        Files.createDirectories(other.dir);
        Path ca = pki.caFile();
        Outcome o = handshake(TlsContexts.forServer(pki.leaf("server").server(ca, true, true), provider),
                TlsContexts.forClient(TestPki.clientOptions(other.leaf("intruder"), ca), true, provider));
        assertThat(o.server()).as("server must refuse a client certificate from another CA").isNotNull();

        // And the client refuses a server whose certificate another CA issued.
        Outcome o2 = handshake(TlsContexts.forServer(other.leaf("impostor").server(null, false, false), provider),
                TlsContexts.forClient(TestPki.clientOptions(null, ca), true, provider));
        assertThat(o2.client()).as("client must refuse a server certificate from another CA").isNotNull();
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void failIfNoPeerCertRefusesAnonymousClientAndOptionalAcceptsIt(SslProvider provider) throws Exception {
        assumeProvider(provider);
        TestPki pki = new TestPki(dir);
        Path ca = pki.caFile();
        TestPki.Leaf server = pki.leaf("server");
        Outcome required = handshake(TlsContexts.forServer(server.server(ca, true, true), provider),
                TlsContexts.forClient(TestPki.clientOptions(null, ca), true, provider));
        assertThat(required.server()).isNotNull();
        Outcome optional = handshake(TlsContexts.forServer(server.server(ca, true, false), provider),
                TlsContexts.forClient(TestPki.clientOptions(null, ca), true, provider));
        assertThat(optional.bothOk()).as("%s", optional).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void encryptedKeysServeWithTheirPassword(SslProvider provider) throws Exception {
        assumeProvider(provider);
        TestPki pki = new TestPki(dir);
        TestPki.Leaf leaf = pki.leaf("server", KeyPairs.rsa(2048));
        Path legacy = pki.write("legacy.key", TestPki.traditionalEncrypted(leaf.keyPair().getPrivate(), TestPki.PASSWORD));
        Path pkcs8 = pki.write("pkcs8.key", TestPki.pkcs8Encrypted(leaf.keyPair().getPrivate(), TestPki.PASSWORD));
        for (Path key : List.of(legacy, pkcs8)) {
            TlsOptions opts = new TlsOptions(leaf.certFile(), key, TestPki.secret(TestPki.PASSWORD), null, false, false,
                    List.of(), List.of());
            Outcome o = handshake(TlsContexts.forServer(opts, provider),
                    TlsContexts.forClient(TestPki.clientOptions(null, pki.caFile()), true, provider));
            assertThat(o.bothOk()).as("%s: %s", key.getFileName(), o).isTrue();
        }
    }

    @Test
    void hostnameIsVerifiedByDefault() throws Exception {
        TestPki pki = new TestPki(dir);
        Path ca = pki.caFile();
        SslContext server = TlsContexts.forServer(pki.leaf("server").server(null, false, false));
        // The certificate names localhost and 127.0.0.1, not this name.
        Outcome wrongName = handshake(server, TlsContexts.forClient(TestPki.clientOptions(null, ca)), "elsewhere.example");
        assertThat(wrongName.client()).isNotNull();
        Outcome unchecked = handshake(server, TlsContexts.forClient(TestPki.clientOptions(null, ca), false,
                TlsContexts.provider()), "elsewhere.example");
        assertThat(unchecked.bothOk()).as("%s", unchecked).isTrue();
    }

    @Test
    void onlyTls12WhenAskedAndProviderIsReported() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Leaf leaf = pki.leaf("server");
        TlsOptions tls12 = new TlsOptions(leaf.certFile(), leaf.keyFile(), null, null, false, false,
                List.of("tlsv1.2"), List.of());
        Outcome o = handshake(TlsContexts.forServer(tls12),
                TlsContexts.forClient(TestPki.clientOptions(null, pki.caFile())));
        assertThat(o.bothOk()).as("%s", o).isTrue();
        assertThat(o.serverSession().getProtocol()).isEqualTo("TLSv1.2");
        assertThat(TlsContexts.provider()).isEqualTo(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
    }

    private static void assumeProvider(SslProvider provider) {
        assumeTrue(provider != SslProvider.OPENSSL || OpenSsl.isAvailable(), "OpenSSL (netty-tcnative) not available here");
    }

    private static Outcome handshake(SslContext server, SslContext client) throws Exception {
        return handshake(server, client, "localhost");
    }

    private static Outcome handshake(SslContext server, SslContext client, String host) throws Exception {
        CompletableFuture<Throwable> serverDone = new CompletableFuture<>();
        CompletableFuture<SSLSession> serverSession = new CompletableFuture<>();
        Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = server.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl);
                        ssl.handshakeFuture().addListener(f -> {
                            serverSession.complete(f.isSuccess() ? ssl.engine().getSession() : null);
                            serverDone.complete(f.cause());
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        try {
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            CompletableFuture<Throwable> clientDone = new CompletableFuture<>();
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            SslHandler ssl = client.newHandler(c.alloc(), host, port);
                            c.pipeline().addLast(ssl);
                            ssl.handshakeFuture().addListener(f -> clientDone.complete(f.cause()));
                        }
                    }).connect("127.0.0.1", port).sync().channel();
            try {
                Throwable s = serverDone.get(10, TimeUnit.SECONDS);
                Throwable c = clientDone.get(10, TimeUnit.SECONDS);
                return new Outcome(s, c, serverSession.get(10, TimeUnit.SECONDS));
            } finally {
                ch.close().sync();
            }
        } finally {
            listener.close().sync();
        }
    }
}

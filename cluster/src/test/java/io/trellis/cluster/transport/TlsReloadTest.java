package io.trellis.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeFailedException;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.config.Secret;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import io.trellis.security.TlsOptions;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates replaced on disk: validated before the swap, new connections take them, open ones stay. */
class TlsReloadTest {
    private static final String COOKIE = "Pl9Ok8Ij7Uh6Yg5Tf4Rd3Es2Wa1Qz0Xc";
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private record Issued(String cert, String key) {
    }

    private static Issued issue(CertificateAuthority ca, String name) {
        KeyPair kp = KeyPairs.ecP256();
        return new Issued(PemWriter.certificates(ca.issue(name, List.of("127.0.0.1"), kp, Duration.ofDays(1),
                CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT)), PemWriter.pkcs8(kp.getPrivate()));
    }

    private TlsOptions files(String prefix, Issued issued, CertificateAuthority ca) throws Exception {
        Path cert = dir.resolve(prefix + ".pem");
        Path key = dir.resolve(prefix + ".key");
        Path caFile = dir.resolve(prefix + "-ca.pem");
        Files.writeString(cert, issued.cert());
        Files.writeString(key, issued.key());
        Files.writeString(caFile, PemWriter.certificates(ca.certificate()));
        return new TlsOptions(cert, key, null, caFile, true, true, List.of("tlsv1.3", "tlsv1.2"), List.of());
    }

    @Test
    void changedFilesOnDiskAreTakenUpByTheNextConnectionWithoutAReloadCall() throws Exception {
        CertificateAuthority oldCa = CertificateAuthority.create("old", KeyPairs.ecP256(), Duration.ofDays(3));
        CertificateAuthority newCa = CertificateAuthority.create("new", KeyPairs.ecP256(), Duration.ofDays(3));
        TlsOptions server = files("b", issue(oldCa, "b"), oldCa);
        TransportSecurity serverTls = new TransportSecurity(ChannelTls.PLAIN, ChannelTls.fromOptions(server, false, TlsContexts.provider()));
        ChannelTls trustsOld = ChannelTls.fromOptions(files("a-old", issue(oldCa, "a"), oldCa), false, TlsContexts.provider());
        ChannelTls trustsNew = ChannelTls.fromOptions(files("a-new", issue(newCa, "a"), newCa), false, TlsContexts.provider());
        RpcServer rpc = new RpcServer(settings("b@127.0.0.1", serverTls), new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                (from, frame) -> { }, group);
        int port = rpc.start();
        try (rpc) {
            try (RpcClient c = client(trustsOld, port)) {
                c.connect().get(15, TimeUnit.SECONDS);
            }
            // A broken certificate on disk: the watch refuses it and the old material keeps serving.
            Files.writeString(server.certfile(), "-----BEGIN CERTIFICATE-----\nnot base64\n");
            bump(server.certfile(), 10);
            try (RpcClient c = client(trustsOld, port)) {
                c.connect().get(15, TimeUnit.SECONDS);
            }
            Issued next = issue(newCa, "b");
            Files.writeString(server.certfile(), next.cert());
            Files.writeString(server.keyfile(), next.key());
            Files.writeString(server.cacertfile(), PemWriter.certificates(newCa.certificate()));
            for (Path f : List.of(server.certfile(), server.keyfile(), server.cacertfile())) {
                bump(f, 20);
            }
            try (RpcClient c = client(trustsNew, port)) {
                c.connect().get(15, TimeUnit.SECONDS);
            }
        }
    }

    /** File times can be coarse (1 s): set them explicitly so every change is seen. */
    private static void bump(Path file, int seconds) throws Exception {
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(seconds)));
    }

    private static HandshakeSettings settings(String node, TransportSecurity transport) {
        return new HandshakeSettings(NodeName.parse(node), CookieKey.of(new Secret(COOKIE)), Duration.ofSeconds(5),
                new RefusalLog(Duration.ofMinutes(1))).withTransportSecurity(transport);
    }

    private RpcClient client(ChannelTls tls, int port) {
        return new RpcClient(settings("a@127.0.0.1", new TransportSecurity(ChannelTls.PLAIN, tls)), NodeName.parse("b@127.0.0.1"),
                new InetSocketAddress("127.0.0.1", port), 1, 64 * 1024, Duration.ofSeconds(5), group);
    }

    @Test
    void reloadValidatesThenSwapsForNewConnectionsOnly() throws Exception {
        CertificateAuthority oldCa = CertificateAuthority.create("old", KeyPairs.ecP256(), Duration.ofDays(3));
        CertificateAuthority newCa = CertificateAuthority.create("new", KeyPairs.ecP256(), Duration.ofDays(3));
        TlsOptions server = files("b", issue(oldCa, "b"), oldCa);
        TransportSecurity serverTls = new TransportSecurity(ChannelTls.PLAIN,
                ChannelTls.fromOptions(server, false, TlsContexts.provider()));
        ChannelTls trustsOld = ChannelTls.fromOptions(files("a-old", issue(oldCa, "a"), oldCa), false, TlsContexts.provider());
        ChannelTls trustsNew = ChannelTls.fromOptions(files("a-new", issue(newCa, "a"), newCa), false, TlsContexts.provider());

        java.util.Queue<String> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
        RpcServer rpc = new RpcServer(settings("b@127.0.0.1", serverTls), new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                (from, frame) -> received.add(frame.toString(java.nio.charset.StandardCharsets.UTF_8)), group);
        int port = rpc.start();
        try (rpc; RpcClient before = client(trustsOld, port)) {
            before.connect().get(15, TimeUnit.SECONDS);

            // A half-written certificate: the reload is refused, naming the file, and nothing changes.
            Files.writeString(server.certfile(), "-----BEGIN CERTIFICATE-----\nnot base64\n");
            Throwable bad = catchThrowable(serverTls::reload);
            assertThat(bad).isInstanceOf(TlsConfigException.class).hasMessageContaining(server.certfile().getFileName().toString());
            try (RpcClient stillOld = client(trustsOld, port)) {
                stillOld.connect().get(15, TimeUnit.SECONDS);
            }

            // The new CA's certificate (and CA file) in place: after reload, only the new trust works for new connections.
            Issued next = issue(newCa, "b");
            Files.writeString(server.certfile(), next.cert());
            Files.writeString(server.keyfile(), next.key());
            Files.writeString(server.cacertfile(), PemWriter.certificates(newCa.certificate()));
            serverTls.reload();
            try (RpcClient fresh = client(trustsNew, port)) {
                fresh.connect().get(15, TimeUnit.SECONDS);
            }
            try (RpcClient stale = client(trustsOld, port)) {
                Throwable t = catchThrowable(() -> stale.connect().get(15, TimeUnit.SECONDS));
                assertThat(t).isInstanceOf(ExecutionException.class).cause().isInstanceOf(HandshakeFailedException.class);
                assertThat(((HandshakeFailedException) t.getCause()).reason()).isEqualTo(HandshakeFailure.TLS_UNKNOWN_CA);
            }
            // The connection made before the reload still carries frames.
            before.send(0, io.netty.buffer.Unpooled.copiedBuffer("after reload", java.nio.charset.StandardCharsets.UTF_8));
            org.awaitility.Awaitility.await().until(() -> received.contains("after reload"));
        }
    }
}

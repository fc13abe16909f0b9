package io.trellis.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.config.ConfigException;
import io.trellis.config.TrellisConfig;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS keys as an operator writes them, including files made by the seeds' exact openssl commands. */
class TlsSettingsTest {
    private static final String COOKIE = "Rt5Yh8Jk2Lp0Qw3Er6Ty9Ui1Op4As7Df";
    @TempDir
    Path dir;

    private static ClusterSettings settings(String hocon) throws ConfigException {
        return ClusterSettings.from(TrellisConfig.parse(hocon, "test.conf", Map.of()));
    }

    private static ConfigException problems(String hocon) {
        return catchThrowableOfType(ConfigException.class, () -> settings(hocon));
    }

    private static String q(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\") + "\"";
    }

    /** The seeds' commands, verbatim, in dir: ca.pem, domain.key, domain.pem. */
    private void seedCertificates() throws Exception {
        assumeThat(onPath("openssl")).as("openssl on PATH").isTrue();
        run("openssl", "req", "-nodes", "-x509", "-sha256", "-days", "1825", "-newkey", "rsa:2048", "-keyout", "ca.key", "-out", "ca.pem",
                "-subj", "/O=LocalOrg/CN=LocalOrg-Root-CA");
        run("openssl", "genrsa", "-out", "domain.key", "2048");
        Files.writeString(dir.resolve("domain.ext"), """
                authorityKeyIdentifier=keyid,issuer
                basicConstraints=CA:FALSE
                subjectAltName = @alt_names
                [alt_names]
                DNS.1 = backplane
                """);
        run("openssl", "req", "-key", "domain.key", "-new", "-out", "domain.csr", "-subj", "/O=LocalOrg");
        run("openssl", "x509", "-req", "-CA", "ca.pem", "-CAkey", "ca.key", "-in", "domain.csr", "-out", "domain.pem", "-days", "365",
                "-CAcreateserial", "-extfile", "domain.ext");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && List.of(path.split(File.pathSeparator)).stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }

    /** The seeds' rpc block and an etc/ssl_dist.conf naming the same files, for node {@code name}. */
    private String seedConfig(String name) throws Exception {
        Path optfile = dir.resolve("ssl_dist.conf");
        Files.writeString(optfile, "certfile = " + q(dir.resolve("domain.pem")) + "\nkeyfile = " + q(dir.resolve("domain.key"))
                + "\ncacertfile = " + q(dir.resolve("ca.pem")) + "\n");
        return "node { name = \"" + name + "\", cookie = \"" + COOKIE + "\", ssl_dist_optfile = " + q(optfile) + " }\n"
                + "cluster.proto_dist = inet_tls\n"
                + "rpc {\n  driver = ssl\n  certfile = " + q(dir.resolve("domain.pem")) + "\n  cacertfile = " + q(dir.resolve("ca.pem"))
                + "\n  keyfile = " + q(dir.resolve("domain.key")) + "\n}\n";
    }

    @Test
    void theSeedsOpensslFilesWorkUnchangedOnBothChannels() throws Exception {
        seedCertificates();
        ClusterSettings a = settings(seedConfig("a@127.0.0.1"));
        ClusterSettings b = settings(seedConfig("b@127.0.0.1"));
        assertThat(a.transport().rpc().enabled()).isTrue();
        assertThat(a.transport().dist().enabled()).isTrue();

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (RpcServer server = new RpcServer(handshake(b), new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                (from, frame) -> received.add(frame.toString(StandardCharsets.UTF_8)), group);
             RpcClient client = new RpcClient(handshake(a), b.node(), new InetSocketAddress("127.0.0.1", server.start()), 1, 64 * 1024,
                     Duration.ofSeconds(5), group)) {
            client.connect().get(15, TimeUnit.SECONDS);
            client.send("t", Unpooled.copiedBuffer("seeded", StandardCharsets.UTF_8));
            await().until(() -> received.contains("seeded"));
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private final Queue<String> received = new ConcurrentLinkedQueue<>();

    private static HandshakeSettings handshake(ClusterSettings s) {
        return new HandshakeSettings(s.node(), CookieKey.of(s.cookie()), s.authenticationTimeout(), new RefusalLog(Duration.ofMinutes(1)))
                .withTransportSecurity(s.transport());
    }

    @Test
    void rpcProtocolIsAcceptedAsEmqxsAliasOfRpcDriver() throws Exception {
        seedCertificates();
        String files = "certfile = " + q(dir.resolve("domain.pem")) + ", keyfile = " + q(dir.resolve("domain.key"))
                + ", cacertfile = " + q(dir.resolve("ca.pem"));
        assertThat(settings("rpc { protocol = ssl, " + files + " }").transport().rpc().enabled()).isTrue();
        assertThat(settings("rpc { " + files + " }").transport().rpc().enabled()).as("tcp by default").isFalse();
        assertThat(problems("rpc { driver = ssl, protocol = tcp, " + files + " }").getMessage())
                .contains("rpc.protocol: 'tcp' contradicts rpc.driver = ssl");
    }

    @Test
    void inetTlsWithoutOptionsOrOptfileIsAClearError() {
        Path missing = dir.resolve("etc/ssl_dist.conf");
        assertThat(problems("node.ssl_dist_optfile = " + q(missing) + "\ncluster.proto_dist = inet_tls").getMessage())
                .contains("cluster.proto_dist = inet_tls needs TLS options")
                .contains("cluster.ssl_dist.certfile")
                .contains(missing + ", not found");
    }

    @Test
    void aMissingCertificateFileNamesTheChannelAndTheFile() {
        Path nowhere = dir.resolve("nowhere.pem");
        String message = problems("rpc { driver = ssl, certfile = " + q(nowhere) + " }").getMessage();
        assertThat(message).contains("rpc: ").contains(nowhere.toString());
    }

    @Test
    void anUnknownKeyInTheOptfileIsNamed() throws Exception {
        Path optfile = dir.resolve("ssl_dist.conf");
        Files.writeString(optfile, "certfle = \"x.pem\"\n");
        assertThat(problems("node.ssl_dist_optfile = " + q(optfile) + "\ncluster.proto_dist = inet_tls").getMessage())
                .contains("unknown key 'certfle'");
    }
}

package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.trellis.config.TrellisConfig;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import io.trellis.server.cli.TrellisCommand;
import io.trellis.server.cluster.ClusterFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /api/v5/cluster/certs/reload and ctl certs reload on a node with rpc.driver = ssl. */
class CertReloadTest {
    private static final String COOKIE = "Zt6Vq1bJ0c9-cert-reload-test-cookie";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private Path certFile;
    private Path keyFile;
    private Node node;
    private Map<String, String> env;
    private int rpcPort;
    private EventLoopGroup group;
    /** The client side of the probe connections: the first pair, kept in memory. */
    private KeyPair clientKey;
    private X509Certificate clientCert;
    private KeyPair lastKey;
    private X509Certificate lastCert;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(NodeTest.brokerBuilt(), "the broker (branch broker) is not built yet");
        ca = CertificateAuthority.create("reload test CA", KeyPairs.ecP256(), Duration.ofDays(1));
        Path caFile = Files.writeString(dir.resolve("ca.pem"), PemWriter.certificates(ca.certificate()));
        certFile = dir.resolve("node.pem");
        keyFile = dir.resolve("node.key");
        issue();
        clientKey = lastKey;
        clientCert = lastCert;
        int n = ClusterPorts.freeOffsets(1);
        rpcPort = 5370 + n;
        env = NodeTest.testEnv(dir.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.put("TRELLIS_NODE__NAME", "reload" + n + "@127.0.0.1");
        env.put("TRELLIS_NODE__COOKIE", COOKIE);
        env.put("TRELLIS_NODE__DIST_BIND_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__LISTEN_ADDRESS", "127.0.0.1");
        env.put("TRELLIS_RPC__DRIVER", "ssl");
        env.put("TRELLIS_RPC__CERTFILE", certFile.toString());
        env.put("TRELLIS_RPC__KEYFILE", keyFile.toString());
        env.put("TRELLIS_RPC__CACERTFILE", caFile.toString());
        Path conf = Files.writeString(dir.resolve("trellis.conf"), "");
        env.put("TRELLIS_CONF", conf.toString());
        node = Node.from(TrellisConfig.load(conf, env), ClusterFactory.standard());
        node.start();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Writes a fresh node certificate and key for 127.0.0.1; returns the certificate's serial. */
    private BigInteger issue() throws Exception {
        KeyPair kp = KeyPairs.ecP256();
        X509Certificate cert = ca.issue("node", List.of("127.0.0.1"), kp, Duration.ofDays(1),
                CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT);
        Files.writeString(certFile, PemWriter.certificates(cert));
        Files.writeString(keyFile, PemWriter.pkcs8(kp.getPrivate()));
        lastKey = kp;
        lastCert = cert;
        return cert.getSerialNumber();
    }

    /** The serial of the certificate the rpc port presents to a new TLS connection. */
    private BigInteger servedSerial() throws Exception {
        SslContext client = SslContextBuilder.forClient()
                .trustManager(ca.certificate())
                .keyManager(clientKey.getPrivate(), clientCert)
                .build();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(client.newHandler(c.alloc(), "127.0.0.1", rpcPort));
                    }
                }).connect("127.0.0.1", rpcPort).sync().channel();
        try {
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            ssl.handshakeFuture().sync();
            return ((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0]).getSerialNumber();
        } finally {
            ch.close().sync();
        }
    }

    private HttpResponse<String> postReload() throws Exception {
        String auth = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort()
                        + "/api/v5/cluster/certs/reload"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aNewValidPairIsReloadedAndABrokenFileIsRefusedKeepingTheOldMaterial() throws Exception {
        BigInteger first = servedSerial();

        BigInteger second = issue();
        HttpResponse<String> ok = postReload();
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(ok.body());
        assertThat(body.path("reloaded")).extracting(JsonNode::asText).containsExactly("rpc");
        assertThat(body.path("provider").asText()).isNotEmpty();
        assertThat(servedSerial()).isEqualTo(second).isNotEqualTo(first);

        Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
        HttpResponse<String> bad = postReload();
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains(keyFile.toString()).contains("previous ones stay");
        assertThat(servedSerial()).as("the node keeps serving the last good certificate").isEqualTo(second);
    }

    @Test
    void ctlCertsReloadRoundTrip() throws Exception {
        issue();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TrellisCommand.run(new String[] {"ctl", "certs", "reload"}, env, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("reloaded TLS of rpc");

        Files.writeString(certFile, "garbage");
        out = new StringWriter();
        err = new StringWriter();
        code = TrellisCommand.run(new String[] {"ctl", "cluster", "certs", "reload"}, env, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains(certFile.toString());
    }
}

package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.ClusterJoinException;
import io.trellis.cluster.transport.ChannelTls;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.security.TlsContexts;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole nodes (MQTT + cluster) with TLS between them: forming, forwarding, mixed channels, refusals in join. */
class TlsClusterTest {
    private ClusterHarness cluster;
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ClusterHarness harness(boolean distTls, boolean rpcTls) {
        TestCerts certs = new TestCerts(dir, "cluster-ca");
        SslProvider provider = TlsContexts.provider();
        ClusterHarness h = new ClusterHarness("127.0.0.1", 2);
        h.transport = node -> new TransportSecurity(distTls ? certs.tls(node, provider) : ChannelTls.PLAIN,
                rpcTls ? certs.tls(node, provider) : ChannelTls.PLAIN);
        return h;
    }

    private void formAndForward(boolean distTls, boolean rpcTls) {
        cluster = harness(distTls, rpcTls);
        for (int i = 1; i <= 3; i++) {
            cluster.add("n" + i, ClusterHarness.COOKIE);
        }
        for (int i = 2; i <= 3; i++) {
            cluster.node(i).cluster.join(cluster.node(1).nodeName(), cluster.node(1).distAddress()).join();
        }
        cluster.awaitMesh();
        Mqtt5AsyncClient sub = cluster.client(cluster.node(1));
        Queue<String> got = cluster.subscribe(sub, "tls/+", MqttQos.AT_LEAST_ONCE);
        await().atMost(10, TimeUnit.SECONDS).until(() -> cluster.node(3).cluster.hasRoutesOf(cluster.node(1).nodeName()));
        Mqtt5AsyncClient pub = cluster.client(cluster.node(3));
        // Retry until the route has reached node 3's routing table (route propagation is asynchronous).
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
            cluster.publish(pub, "tls/x", "across", MqttQos.AT_LEAST_ONCE, false);
            assertThat(got).contains("across");
        });
    }

    @Test
    void threeNodeClusterWithTlsOnBothChannelsFormsAndForwards() {
        formAndForward(true, true);
    }

    @Test
    void mixedClusterWithTlsOnRpcOnly() {
        formAndForward(false, true);
    }

    @Test
    void mixedClusterWithTlsOnDistributionOnly() {
        formAndForward(true, false);
    }

    @Test
    void rightCertificateWrongCookieIsRefusedAsCookieMismatchInJoin() {
        cluster = harness(true, true);
        cluster.add("n1", ClusterHarness.COOKIE);
        ClusterHarness.Node other = cluster.add("n2", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv");
        Throwable t = catchThrowable(() -> other.cluster.join(cluster.node(1).nodeName(), cluster.node(1).distAddress()).join());
        assertThat(t).isInstanceOf(CompletionException.class).cause().isInstanceOf(ClusterJoinException.class)
                .hasMessageContaining("cookie mismatch");
    }

    @Test
    void plainNodeJoiningTlsNodeIsToldInJoin() {
        cluster = harness(true, true);
        cluster.add("n1", ClusterHarness.COOKIE);
        var tlsTransport = cluster.transport;
        cluster.transport = node -> node.toString().startsWith("n2") ? TransportSecurity.PLAIN : tlsTransport.apply(node);
        ClusterHarness.Node plain = cluster.add("n2", ClusterHarness.COOKIE);
        Throwable t = catchThrowable(() -> plain.cluster.join(cluster.node(1).nodeName(), cluster.node(1).distAddress()).join());
        assertThat(t).cause().isInstanceOf(ClusterJoinException.class).hasMessageContaining("peer expects TLS, this node speaks plain TCP");
        // And the other way round: a TLS node dialling a plain node.
        Throwable back = catchThrowable(() -> cluster.node(1).cluster.join(plain.nodeName(), plain.distAddress()).join());
        assertThat(back).cause().isInstanceOf(ClusterJoinException.class).hasMessageContaining("peer speaks plain TCP");
    }
}

package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import io.trellis.cluster.Cluster;
import io.trellis.cluster.ClusterJoinException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Nodes going down and up, wrong cookies, takeover, IPv6, status and ports. */
class ClusterMembershipTest {
    private ClusterHarness cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeDownHasItsRoutesDroppedAndWorksAgainAfterRejoining() {
        cluster = ClusterHarness.start(3);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        cluster.subscribe(cluster.client(n2), "down/t", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n2.nodeName()) == 1);

        n2.stop();
        await().atMost(5, TimeUnit.SECONDS).until(() -> !n1.cluster.hasRoutesOf(n2.nodeName())
                && !n1.cluster.forwardsTo(n2.nodeName()) && !cluster.node(3).cluster.hasRoutesOf(n2.nodeName()));
        Mqtt5AsyncClient pub = cluster.client(n1);
        long before = n1.cluster.forwarded() + n1.cluster.forwardDropped();
        cluster.publish(pub, "down/t", "nobody", MqttQos.AT_LEAST_ONCE, false);
        assertThat(n1.cluster.forwarded() + n1.cluster.forwardDropped()).as("no forwarding attempt to a node that is down")
                .isEqualTo(before);

        n2.start(0, 0); // back up (new ports), joins again: full copies both ways
        n2.cluster.join(n1.nodeName(), n1.distAddress()).join();
        cluster.awaitMesh();
        Queue<String> got = cluster.subscribe(cluster.client(n2), "down/t", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n2.nodeName()) == 1);
        cluster.publish(pub, "down/t", "again", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).containsExactly("again"));
    }

    @Test
    void aWrongCookieFailsTheJoinWithCookieMismatchAndNoMessageCrosses() {
        cluster = new ClusterHarness("127.0.0.1", 2);
        ClusterHarness.Node n1 = cluster.add("n1", ClusterHarness.COOKIE);
        ClusterHarness.Node bad = cluster.add("n2", "Another7Cookie4That9Is2Long5Enough");
        Queue<String> got = cluster.subscribe(cluster.client(bad), "x/#", MqttQos.AT_LEAST_ONCE);

        Throwable failure = catchThrowable(() -> bad.cluster.join(n1.nodeName(), n1.distAddress()).join());
        assertThat(failure).isInstanceOf(CompletionException.class).cause()
                .isInstanceOf(ClusterJoinException.class).hasMessage("cookie mismatch");

        cluster.publish(cluster.client(n1), "x/y", "secret", MqttQos.AT_LEAST_ONCE, false);
        assertThat(n1.cluster.upNodes()).isEmpty();
        assertThat(n1.cluster.forwarded()).isZero();
        assertThat(bad.cluster.forwardReceived()).isZero();
        assertThat(got).isEmpty();
    }

    @Test
    void withoutACookieTheNodeRunsAloneAndRefusesToJoin() {
        cluster = new ClusterHarness("127.0.0.1", 2);
        ClusterHarness.Node n1 = cluster.add("n1", ClusterHarness.COOKIE);
        ClusterHarness.Node alone = cluster.add("n2", null);
        assertThat(alone.cluster.distPort()).isZero();
        Throwable failure = catchThrowable(() -> alone.cluster.join(n1.nodeName(), n1.distAddress()).join());
        assertThat(failure).cause().isInstanceOf(ClusterJoinException.class).hasMessageStartingWith("clustering is disabled");
        // the node still serves MQTT on its own
        Queue<String> got = cluster.subscribe(cluster.client(alone), "solo", MqttQos.AT_LEAST_ONCE);
        cluster.publish(cluster.client(alone), "solo", "hi", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).containsExactly("hi"));
    }

    @Test
    void aClientConnectingToNode2TakesItsPersistentSessionOverFromNode1() {
        cluster = ClusterHarness.start(2);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        Mqtt5AsyncClient first = cluster.client(n1, "mover", false, 3600);
        first.subscribeWith().topicFilter("mv/#").qos(MqttQos.AT_LEAST_ONCE).callback(p -> { }).send().join();
        first.disconnect().join();
        Mqtt5AsyncClient pub = cluster.client(n1);
        for (int i = 0; i < 5; i++) {
            cluster.publish(pub, "mv/t", "q" + i, MqttQos.AT_LEAST_ONCE, false);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.registeredNode("mover").filter(n1.nodeName()::equals).isPresent());

        Queue<String> got = new ConcurrentLinkedQueue<>();
        Mqtt5AsyncClient second = MqttClient.builder().useMqttVersion5().identifier("mover").serverHost(cluster.host)
                .serverPort(n2.mqttPort()).buildAsync();
        second.publishes(MqttGlobalPublishFilter.ALL, p -> got.add(ClusterHarness.payload(p)));
        Mqtt5ConnAck ack = second.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().join();
        assertThat(ack.isSessionPresent()).isTrue();
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).containsExactly("q0", "q1", "q2", "q3", "q4"));
        assertThat(n1.mqtt.broker().session("mover")).as("node 1 dropped its copy").isNull();
        // the subscription moved too: new messages reach the client on node 2
        cluster.publish(pub, "mv/t", "after", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).contains("after"));
        second.disconnect().join();
    }

    @Test
    void aClusterOverIpv6LoopbackForwardsAndReportsStatusAndPorts() {
        cluster = ClusterHarness.start(2, "::1", 2);
        Queue<String> got = cluster.subscribe(cluster.client(cluster.node(1)), "v6/+", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> cluster.node(2).cluster.routeCount(cluster.node(1).nodeName()) == 1);
        cluster.publish(cluster.client(cluster.node(2)), "v6/a", "six", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).containsExactly("six"));

        List<Cluster.NodeStatus> status = cluster.node(1).cluster.status();
        assertThat(status).hasSize(2).allSatisfy(s -> {
            assertThat(s.running()).isTrue();
            assertThat(s.version()).isEqualTo("test-1.0");
            assertThat(s.uptimeMs()).isGreaterThanOrEqualTo(0);
        });
        List<Cluster.PortInfo> ports = cluster.node(1).cluster.ports();
        assertThat(ports).filteredOn(p -> p.direction().equals("listen")).hasSize(2);
        assertThat(ports).filteredOn(p -> p.direction().equals("dial")).extracting(Cluster.PortInfo::port)
                .containsExactlyInAnyOrder(cluster.node(2).cluster.distPort(), cluster.node(2).cluster.rpcPort());
    }

    @Test
    void afterAPartitionHealsBothSidesExchangeFullRoutesAndTheNewestRetainedMessages() {
        cluster = ClusterHarness.start(2);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        Queue<String> got = cluster.subscribe(cluster.client(n1), "heal/#", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.routeCount(n1.nodeName()) == 1);
        Mqtt5AsyncClient pub = cluster.client(n2);
        cluster.publish(pub, "heal/r", "before", MqttQos.AT_LEAST_ONCE, true);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n1.mqtt.broker().retained().get("heal/r") != null);

        io.trellis.cluster.ClusterNodeTestAccess.cutLink(n1.cluster, n2.nodeName());
        await().atMost(5, TimeUnit.SECONDS).until(() -> !n2.cluster.hasRoutesOf(n1.nodeName()) || !n2.cluster.upNodes().contains(n1.nodeName()));
        cluster.publish(pub, "heal/r", "", MqttQos.AT_LEAST_ONCE, true); // deleted on n2 while apart, maybe

        cluster.awaitMesh(); // distribution reconnects by itself; both sides send full copies
        await().atMost(5, TimeUnit.SECONDS).until(() -> n1.mqtt.broker().retained().get("heal/r") == null);
        cluster.publish(pub, "heal/x", "after", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).contains("after"));
    }

    @Test
    void aConnectedClientIsDisconnectedWithSessionTakenOverWhenItsIdConnectsToAnotherNode() {
        cluster = ClusterHarness.start(2);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        java.util.concurrent.atomic.AtomicReference<Throwable> cut = new java.util.concurrent.atomic.AtomicReference<>();
        Mqtt5AsyncClient first = MqttClient.builder().useMqttVersion5().identifier("twice").serverHost(cluster.host)
                .serverPort(n1.mqttPort()).addDisconnectedListener(ctx -> cut.compareAndSet(null, ctx.getCause())).buildAsync();
        first.connectWith().cleanStart(true).sessionExpiryInterval(0).send().join();
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.registeredNode("twice").isPresent());

        Mqtt5AsyncClient second = cluster.client(n2, "twice", true, 0);
        await().atMost(5, TimeUnit.SECONDS).until(() -> cut.get() != null);
        assertThat(cut.get()).isInstanceOf(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException.class);
        assertThat(((com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException) cut.get()).getMqttMessage().getReasonCode())
                .isEqualTo(com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
        assertThat(second.getState().isConnected()).isTrue();
    }
}

package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.cluster.conf.ConfTransport;
import io.trellis.mqtt.broker.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network partitions that last (connections between the sides refused until restored), and what
 * is left after they end: one session per client id, the newest retained messages, the routes
 * and share groups of both sides, one config log; or, with cluster.autoheal = false, two sides
 * kept apart until the operator joins them.
 */
class PartitionHealTest {
    private ClusterHarness cluster;
    private final List<ConfLog> confLogs = new ArrayList<>();
    private final List<AutoCloseable> v3Clients = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        confLogs.forEach(ConfLog::close);
        for (AutoCloseable c : v3Clients) {
            c.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theSameClientIdConnectedOnBothSidesKeepsOnlyItsLaterConnectionAndRoutesComeBack() {
        cluster = ClusterHarness.start(2, true);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        Queue<String> plain = cluster.subscribe(cluster.client(n1), "heal/#", MqttQos.AT_LEAST_ONCE);
        Queue<String> shared = cluster.subscribe(cluster.client(n1), "$share/g/work/#", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.routeCount(n1.nodeName()) == 2);

        cluster.partition(List.of(n1), List.of(n2));
        assertThat(n2.cluster.hasRoutesOf(n1.nodeName())).isFalse();
        AtomicReference<Throwable> early5Cut = new AtomicReference<>();
        AtomicReference<Throwable> late5Cut = new AtomicReference<>();
        AtomicReference<Throwable> early3Cut = new AtomicReference<>();
        AtomicReference<Throwable> late3Cut = new AtomicReference<>();
        Mqtt5AsyncClient early5 = v5(n1, "dup5", early5Cut);
        Mqtt3AsyncClient early3 = v3(n2, "dup3", early3Cut);
        nextMillisecond();
        Mqtt5AsyncClient late5 = v5(n2, "dup5", late5Cut);
        Mqtt3AsyncClient late3 = v3(n1, "dup3", late3Cut);
        Queue<String> madeApart = cluster.subscribe(cluster.client(n2), "late/#", MqttQos.AT_LEAST_ONCE);
        assertThat(early5.getState().isConnected()).isTrue(); // nothing told n1 of the second dup5

        cluster.restoreNetwork(List.of(n1), List.of(n2));
        cluster.awaitMesh();
        await().atMost(10, TimeUnit.SECONDS).until(() -> early5Cut.get() != null && early3Cut.get() != null);
        assertThat(early5Cut.get()).isInstanceOf(Mqtt5DisconnectException.class);
        assertThat(((Mqtt5DisconnectException) early5Cut.get()).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            assertThat(n1.mqtt.broker().session("dup5")).isNull();
            assertThat(n2.mqtt.broker().session("dup5")).isNotNull();
            assertThat(n2.mqtt.broker().session("dup3")).isNull();
            assertThat(n1.mqtt.broker().session("dup3")).isNotNull();
            assertThat(n1.cluster.registeredNode("dup5")).contains(n2.nodeName());
            assertThat(n2.cluster.registeredNode("dup5")).contains(n2.nodeName());
            assertThat(n1.cluster.registeredNode("dup3")).contains(n1.nodeName());
            assertThat(n2.cluster.registeredNode("dup3")).contains(n1.nodeName());
        });

        // Routes and share groups of both sides, those made while apart included, came back.
        Mqtt5AsyncClient pub2 = cluster.client(n2);
        cluster.publish(pub2, "heal/x", "plain", MqttQos.AT_LEAST_ONCE, false);
        cluster.publish(pub2, "work/1", "shared", MqttQos.AT_LEAST_ONCE, false);
        cluster.publish(cluster.client(n1), "late/1", "made apart", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            assertThat(plain).contains("plain");
            assertThat(shared).contains("shared");
            assertThat(madeApart).contains("made apart");
        });
        assertThat(late5Cut.get()).isNull();
        assertThat(late3Cut.get()).isNull();
        assertThat(late5.getState().isConnected()).isTrue();
        assertThat(late3.getState().isConnected()).isTrue();
    }

    @Test
    void retainedMessagesSetAndClearedOnBothSidesKeepTheNewestChange() {
        cluster = ClusterHarness.start(2, true);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        Mqtt5AsyncClient pub1 = cluster.client(n1);
        Mqtt5AsyncClient pub2 = cluster.client(n2);
        for (String topic : List.of("r/a", "r/b", "r/d")) {
            cluster.publish(pub1, topic, "before", MqttQos.AT_LEAST_ONCE, true);
        }
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.mqtt.broker().retained().size() == 3);

        cluster.partition(List.of(n1), List.of(n2));
        cluster.publish(pub1, "r/a", "n1 earlier", MqttQos.AT_LEAST_ONCE, true);
        cluster.publish(pub2, "r/b", "n2 earlier", MqttQos.AT_LEAST_ONCE, true);
        cluster.publish(pub2, "r/d", "", MqttQos.AT_LEAST_ONCE, true); // cleared on n2 ...
        nextMillisecond();
        cluster.publish(pub2, "r/a", "n2 later", MqttQos.AT_LEAST_ONCE, true);
        cluster.publish(pub1, "r/b", "", MqttQos.AT_LEAST_ONCE, true); // ... and on n1, later than n2's set
        cluster.publish(pub1, "r/d", "n1 later", MqttQos.AT_LEAST_ONCE, true); // set later than n2's clear
        cluster.publish(pub1, "r/c", "only n1", MqttQos.AT_LEAST_ONCE, true);

        cluster.restoreNetwork(List.of(n1), List.of(n2));
        cluster.awaitMesh();
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            for (ClusterHarness.Node n : List.of(n1, n2)) {
                assertThat(retained(n, "r/a")).as("r/a on %s", n.name).isEqualTo("n2 later");
                assertThat(retained(n, "r/b")).as("r/b on %s", n.name).isNull();
                assertThat(retained(n, "r/c")).as("r/c on %s", n.name).isEqualTo("only n1");
                assertThat(retained(n, "r/d")).as("r/d on %s", n.name).isEqualTo("n1 later");
            }
        });
    }

    @Test
    void withAutohealOffTheSidesStayApartUntilTheOperatorJoins() throws Exception {
        cluster = ClusterHarness.start(2, false);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        ConfLog conf1 = confLog(n1);
        ConfLog conf2 = confLog(n2);
        Queue<String> got = cluster.subscribe(cluster.client(n1), "apart/#", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.routeCount(n1.nodeName()) == 1);

        cluster.partition(List.of(n1), List.of(n2));
        AtomicReference<Throwable> earlyCut = new AtomicReference<>();
        AtomicReference<Throwable> lateCut = new AtomicReference<>();
        Mqtt5AsyncClient early = v5(n1, "both", earlyCut);
        nextMillisecond();
        Mqtt5AsyncClient late = v5(n2, "both", lateCut);
        cluster.restoreNetwork(List.of(n1), List.of(n2));
        await().atMost(10, TimeUnit.SECONDS).until(() -> n1.cluster.partitioned().contains(n2.nodeName())
                && n2.cluster.partitioned().contains(n1.nodeName()));
        assertThat(n1.cluster.upNodes()).contains(n2.nodeName()); // the network is back ...
        // A config change goes through both (the config log is not held apart); it also orders
        // after everything each node sent when it reconnected, so what follows saw all of it.
        conf2.submit("test", "while apart".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        await().atMost(5, TimeUnit.SECONDS).until(() -> conf1.lastTnx() == 1);
        // ... but the sides are not merged: no routes, no forwarding, both sessions of "both" stay.
        assertThat(n1.cluster.hasRoutesOf(n2.nodeName())).isFalse();
        assertThat(n2.cluster.hasRoutesOf(n1.nodeName())).isFalse();
        assertThat(n1.cluster.forwardsTo(n2.nodeName()) || n2.cluster.forwardsTo(n1.nodeName())).isFalse();
        assertThat(early.getState().isConnected() && late.getState().isConnected()).isTrue();
        assertThat(n1.cluster.status()).anySatisfy(s -> assertThat(s.node()).isEqualTo(n2.nodeName()));

        n1.cluster.join(n2.nodeName()).get(5, TimeUnit.SECONDS); // the operator: ctl cluster join n2@...
        cluster.awaitMesh();
        await().atMost(5, TimeUnit.SECONDS).until(() -> earlyCut.get() != null);
        assertThat(((Mqtt5DisconnectException) earlyCut.get()).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
        assertThat(n1.cluster.partitioned()).isEmpty();
        assertThat(n2.cluster.partitioned()).isEmpty();
        cluster.publish(cluster.client(n2), "apart/x", "merged", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).contains("merged"));
        assertThat(lateCut.get()).isNull();
    }

    @Test
    void withAutohealOffOneJoinOnEitherSideMergesTheWholePartition() {
        cluster = ClusterHarness.start(3, false);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        ClusterHarness.Node n3 = cluster.node(3);
        cluster.partition(List.of(n1), List.of(n2, n3));
        cluster.restoreNetwork(List.of(n1), List.of(n2, n3));
        await().atMost(10, TimeUnit.SECONDS).until(() -> n1.cluster.partitioned().size() == 2
                && n2.cluster.partitioned().contains(n1.nodeName()) && n3.cluster.partitioned().contains(n1.nodeName()));
        assertThat(n2.cluster.partitioned()).doesNotContain(n3.nodeName()); // the same side: never apart

        n2.cluster.join(n1.nodeName()).join(); // on the majority side: n1 merges with n2, then with n3 too
        cluster.awaitMesh();
        for (ClusterHarness.Node n : List.of(n1, n2, n3)) {
            assertThat(n.cluster.partitioned()).as("held apart by %s", n.name).isEmpty();
        }
    }

    @Test
    void withAutohealOffAJoinAskedWhileTheNetworkIsDownMergesWhenItIsBack() {
        cluster = ClusterHarness.start(2, false);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        Queue<String> got = cluster.subscribe(cluster.client(n2), "later/#", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n2.nodeName()) == 1);
        cluster.partition(List.of(n1), List.of(n2));

        n1.cluster.join(n2.nodeName(), n2.distAddress()); // the operator, before the network is back (outcome irrelevant)
        cluster.restoreNetwork(List.of(n1), List.of(n2));
        cluster.awaitMesh(); // n2 holds n1 apart at first, then n1's MERGE releases it
        assertThat(n1.cluster.partitioned()).isEmpty();
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.cluster.partitioned().isEmpty());
        cluster.publish(cluster.client(n1), "later/x", "merged", MqttQos.AT_LEAST_ONCE, false);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).contains("merged"));
    }

    @Test
    void theMinoritySideCannotChangeTheConfigAndCatchesUpAfterTheHeal() throws Exception {
        cluster = ClusterHarness.start(3, true);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        ClusterHarness.Node n3 = cluster.node(3);
        ConfLog conf1 = confLog(n1);
        ConfLog conf2 = confLog(n2);
        ConfLog conf3 = confLog(n3);
        conf1.submit("test", bytes("before")).get(10, TimeUnit.SECONDS);
        await().atMost(5, TimeUnit.SECONDS).until(() -> conf2.lastTnx() == 1 && conf3.lastTnx() == 1);

        cluster.partition(List.of(n1), List.of(n2, n3));
        assertThatThrownBy(() -> conf1.submit("test", bytes("minority")).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("majority");
        conf2.submit("test", bytes("majority 1")).get(10, TimeUnit.SECONDS);
        conf3.submit("test", bytes("majority 2")).get(10, TimeUnit.SECONDS);
        assertThat(conf1.lastTnx()).isEqualTo(1);

        cluster.restoreNetwork(List.of(n1), List.of(n2, n3));
        cluster.awaitMesh();
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
            assertThat(conf1.entries()).hasSize(3).isEqualTo(conf2.entries()).isEqualTo(conf3.entries());
            assertThat(applied.get(n1.name)).containsExactly("before", "majority 1", "majority 2");
        });
        assertThat(conf1.divergence()).isNull();
        assertThat(conf2.divergence()).isNull();
        assertThat(conf1.submit("test", bytes("after")).get(10, TimeUnit.SECONDS).tnxId()).isEqualTo(4);
    }

    @Test
    void aSequencerCutOffRightAfterProposingCommitsNothingAndTakesTheMajoritysEntryAfterTheHeal() throws Exception {
        cluster = ClusterHarness.start(3, true);
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        ClusterHarness.Node n3 = cluster.node(3);
        AtomicBoolean n1LinkDown = new AtomicBoolean();
        ConfLog conf1 = confLog(n1, n1LinkDown);
        ConfLog conf2 = confLog(n2);
        ConfLog conf3 = confLog(n3);
        conf3.submit("test", bytes("before")).get(10, TimeUnit.SECONDS);
        await().atMost(5, TimeUnit.SECONDS).until(() -> conf1.lastTnx() == 1 && conf2.lastTnx() == 1);
        assertThat(conf1.sequencer()).isEqualTo(n1.nodeName());

        // The sequencer proposes as its link fails (what it sends is lost), then the partition is seen.
        n1LinkDown.set(true);
        CompletableFuture<ConfLog.Committed> lost = conf1.submit("test", bytes("minority"));
        await().atMost(5, TimeUnit.SECONDS).until(() -> conf1.pending().size() == 1);
        cluster.partition(List.of(n1), List.of(n2, n3));
        n1LinkDown.set(false);
        assertThat(conf2.submit("test", bytes("majority")).get(10, TimeUnit.SECONDS).tnxId()).isEqualTo(2);
        assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("not committed").hasMessageContaining("majority");
        assertThat(conf1.lastTnx()).isEqualTo(1);
        assertThat(applied.get(n1.name)).containsExactly("before");

        cluster.restoreNetwork(List.of(n1), List.of(n2, n3));
        cluster.awaitMesh();
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
            assertThat(conf1.entries()).hasSize(2).isEqualTo(conf2.entries()).isEqualTo(conf3.entries());
            for (ClusterHarness.Node n : List.of(n1, n2, n3)) {
                assertThat(applied.get(n.name)).as("applied on %s", n.name).containsExactly("before", "majority");
            }
        });
        assertThat(conf1.pending()).isEmpty();
        for (ConfLog c : List.of(conf1, conf2, conf3)) {
            assertThat(c.divergence()).isNull();
        }
        assertThat(conf1.submit("test", bytes("after")).get(10, TimeUnit.SECONDS).tnxId()).isEqualTo(3);
    }

    // ------------------------------------------------------------------ helpers

    private final java.util.Map<String, List<String>> applied = new java.util.concurrent.ConcurrentHashMap<>();

    private ConfLog confLog(ClusterHarness.Node n) throws Exception {
        return confLog(n, new AtomicBoolean());
    }

    /** A log whose messages to its peers are lost (sent as far as it knows) while {@code linkDown} is set. */
    private ConfLog confLog(ClusterHarness.Node n, AtomicBoolean linkDown) throws Exception {
        ConfLog log = new ConfLog(n.nodeName(), dir.resolve(n.name), Duration.ofSeconds(5));
        List<String> seen = applied.computeIfAbsent(n.name, k -> new CopyOnWriteArrayList<>());
        log.register("test", e -> seen.add(new String(e.payload(), StandardCharsets.UTF_8)));
        ConfTransport real = n.cluster.confTransport();
        log.start(new ConfTransport() {
            @Override
            public NodeName self() {
                return real.self();
            }

            @Override
            public Set<NodeName> upNodes() {
                return real.upNodes();
            }

            @Override
            public Set<NodeName> knownNodes() {
                return real.knownNodes();
            }

            @Override
            public boolean send(NodeName peer, byte[] body) {
                return linkDown.get() || real.send(peer, body);
            }

            @Override
            public void listen(Listener listener) {
                real.listen(listener);
            }
        });
        confLogs.add(log);
        return log;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String retained(ClusterHarness.Node n, String topic) {
        Message m = n.mqtt.broker().retained().get(topic);
        return m == null ? null : new String(m.payload(), StandardCharsets.UTF_8);
    }

    /** Connect times are in milliseconds: the next connection or write must be in a later one. */
    private static void nextMillisecond() {
        long now = System.currentTimeMillis();
        await().pollInterval(Duration.ofMillis(1)).until(() -> System.currentTimeMillis() > now + 1);
    }

    private Mqtt5AsyncClient v5(ClusterHarness.Node node, String clientId, AtomicReference<Throwable> cut) {
        Mqtt5AsyncClient c = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost(cluster.host)
                .serverPort(node.mqttPort()).addDisconnectedListener(ctx -> cut.compareAndSet(null, ctx.getCause())).buildAsync();
        c.connectWith().cleanStart(true).sessionExpiryInterval(0).send().join();
        return c;
    }

    private Mqtt3AsyncClient v3(ClusterHarness.Node node, String clientId, AtomicReference<Throwable> cut) {
        Mqtt3AsyncClient c = MqttClient.builder().useMqttVersion3().identifier(clientId).serverHost(cluster.host)
                .serverPort(node.mqttPort()).addDisconnectedListener(ctx -> cut.compareAndSet(null, ctx.getCause())).buildAsync();
        c.connectWith().cleanSession(true).send().join();
        v3Clients.add(() -> c.disconnect().handle((ok, e) -> null).get(2, TimeUnit.SECONDS));
        return c;
    }
}

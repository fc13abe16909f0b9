package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.trellis.mqtt.broker.BrokerMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 3, in one JVM: publishers on node 1 flood QoS 1 (unpaced, as many in flight as the broker's
 * Receive Maximum allows) to one QoS 1 subscriber on node 2, with and without a third node, also
 * subscribed, stopped abruptly mid-flood. Every message is accounted for: the subscriber received
 * it (counted by payload sequence number per publisher) or node 2 counted it dropped from the
 * subscriber's session queue ({@code delivery.dropped.queue_full}).
 *
 * <p>Finding: the flood is faster than one subscriber acknowledging 32 in flight
 * ({@code mqtt.max_inflight}), so its queue ({@code mqtt.max_mqueue_len}, 1000) overflows and drops
 * the oldest: MQTT-legal, EMQX's behaviour, and counted. Nothing is lost between the nodes: the
 * forwarder's held queue never drops for a running peer, the stopped peer's share is dropped and
 * counted on node 1 only. The one other way a running node missed messages was a false node-down
 * (heartbeats starved for longer than {@code cluster.node_down_timeout} on a saturated machine,
 * seen here with the harness's 1s): node 1 dropped what its forwarder held for node 2. It now
 * forwards those again when node 2 comes back unrestarted (the last test); what is published while
 * node 2's routes are gone still finds no subscriber on node 1 and is counted there. The other
 * tests use a node-down timeout the flood cannot starve, so their accounting is exact.
 */
class FloodLossTest {
    private static final String TOPIC = "flood/stream";
    private static final int PUBLISHERS = 2;
    private static final int PER_PUBLISHER = 10_000;
    private static final int TOTAL = PUBLISHERS * PER_PUBLISHER;
    private static final int CHUNK = 1_000;
    private ClusterHarness cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @ParameterizedTest(name = "clean session {0}, third node killed mid-flood {1}")
    @CsvSource({"true, false", "false, false", "true, true", "false, true"})
    void everyFloodedQos1MessageIsDeliveredOrCountedAsDropped(boolean cleanSession, boolean killThird) {
        cluster = ClusterHarness.start(killThird ? 3 : 2, "127.0.0.1", 4, Duration.ofSeconds(10));
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        BitSet[] got = subscribeCounting(cluster.client(n2, "flood-sub", cleanSession, cleanSession ? 0 : 300));
        await().atMost(10, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n2.nodeName()) >= 1);
        if (killThird) {
            ClusterHarness.Node n3 = cluster.node(3);
            cluster.subscribe(cluster.client(n3, "flood-sub3", cleanSession, cleanSession ? 0 : 300), TOPIC, MqttQos.AT_LEAST_ONCE);
            await().atMost(10, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n3.nodeName()) >= 1);
        }

        flood(n1, killThird ? cluster.node(3)::stop : null); // stopped: its connections close, 1 and 2 see it down at once

        BrokerMetrics m1 = n1.mqtt.broker().metrics();
        BrokerMetrics m2 = n2.mqtt.broker().metrics();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> received(got) + m2.deliveryDroppedQueueFull.sum() >= TOTAL);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the assertions below say what is missing
        }
        String where = String.format("published %d; node 1: forwarded %d, dropped for peers %d, no subscribers %d; "
                        + "node 2: received over RPC %d, dropped queue full %d, sent %d; subscriber: %d distinct",
                TOTAL, m1.messagesForward.sum(), m1.messagesDroppedForward.sum(), m1.messagesDroppedNoSubscribers.sum(),
                n2.cluster.forwardReceived(), m2.deliveryDroppedQueueFull.sum(), m2.messagesSent.sum(), received(got));
        System.out.println(where);
        assertThat(received(got) + m2.deliveryDroppedQueueFull.sum()).as(where).isEqualTo(TOTAL);
        assertThat(m2.deliveryDropped.sum()).as(where).isEqualTo(m2.deliveryDroppedQueueFull.sum());
        assertThat(m1.messagesDroppedNoSubscribers.sum()).as(where).isZero();
        if (killThird) {
            assertThat(m1.messagesForward.sum()).as("node 3 was stopped mid-flood: " + where).isLessThan(2L * TOTAL);
        } else {
            assertThat(m1.messagesDroppedForward.sum()).as(where).isZero();
        }
    }

    /**
     * A false node-down mid-flood: node 1 cuts its distribution link to node 2 (as heartbeats starved
     * for longer than the node-down timeout would) while node 2 keeps running and comes back with the
     * same start time. The QoS 1 messages node 1's forwarder held for node 2 at that moment (sent and
     * not yet acknowledged, or waiting) go to node 2 again, none is dropped for a peer; messages
     * published while node 2's routes were gone find no subscriber and are counted as such on node 1.
     */
    @Test
    void aFalseNodeDownMidFloodDropsNoneOfTheMessagesHeldForTheRunningPeer() {
        cluster = ClusterHarness.start(2, "127.0.0.1", 4, Duration.ofSeconds(10));
        ClusterHarness.Node n1 = cluster.node(1);
        ClusterHarness.Node n2 = cluster.node(2);
        BitSet[] got = subscribeCounting(cluster.client(n2, "flood-sub", false, 300));
        await().atMost(10, TimeUnit.SECONDS).until(() -> n1.cluster.routeCount(n2.nodeName()) >= 1);

        flood(n1, () -> io.trellis.cluster.ClusterNodeTestAccess.cutLink(n1.cluster, n2.nodeName()));
        cluster.awaitMesh(); // distribution reconnects by itself

        BrokerMetrics m1 = n1.mqtt.broker().metrics();
        BrokerMetrics m2 = n2.mqtt.broker().metrics();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> received(got) + m2.deliveryDroppedQueueFull.sum()
                    + m1.messagesDroppedNoSubscribers.sum() >= TOTAL);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the assertions below say what is missing
        }
        String where = String.format("published %d; node 1: forwarded %d, dropped for peers %d, no subscribers %d; "
                        + "node 2: received over RPC %d, dropped queue full %d; subscriber: %d distinct",
                TOTAL, m1.messagesForward.sum(), m1.messagesDroppedForward.sum(), m1.messagesDroppedNoSubscribers.sum(),
                n2.cluster.forwardReceived(), m2.deliveryDroppedQueueFull.sum(), received(got));
        System.out.println(where);
        assertThat(m1.messagesDroppedForward.sum()).as("held for a running peer: " + where).isZero();
        // At least: a message sent again after a lost acknowledgement may be delivered twice, or dropped from the queue twice.
        assertThat(received(got) + m2.deliveryDroppedQueueFull.sum() + m1.messagesDroppedNoSubscribers.sum()).as(where)
                .isGreaterThanOrEqualTo(TOTAL);
    }

    /** A QoS 1 subscription to the stream that records each (publisher, sequence number) received. */
    private static BitSet[] subscribeCounting(Mqtt5AsyncClient sub) {
        BitSet[] got = new BitSet[PUBLISHERS];
        for (int i = 0; i < PUBLISHERS; i++) {
            got[i] = new BitSet();
        }
        sub.subscribeWith().topicFilter(TOPIC).qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            String body = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
            int cut = body.indexOf(':');
            BitSet b = got[Integer.parseInt(body.substring(0, cut))];
            synchronized (b) {
                b.set(Integer.parseInt(body.substring(cut + 1)));
            }
        }).send().join();
        return got;
    }

    /**
     * PUBLISHERS clients on {@code node} publish 0..PER_PUBLISHER-1 each, unpaced, in chunks; a quarter
     * of the way in, {@code midway} runs on another thread while the flood goes on. Returns once every
     * message is PUBACKed and {@code midway} is done.
     */
    private void flood(ClusterHarness.Node node, Runnable midway) {
        List<Mqtt5AsyncClient> pubs = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++) {
            pubs.add(cluster.client(node));
        }
        CompletableFuture<Void> aside = CompletableFuture.completedFuture(null);
        for (int chunk = 0; chunk < PER_PUBLISHER / CHUNK; chunk++) {
            List<CompletableFuture<?>> sends = new ArrayList<>(CHUNK * PUBLISHERS);
            for (int seq = chunk * CHUNK; seq < (chunk + 1) * CHUNK; seq++) {
                for (int p = 0; p < PUBLISHERS; p++) {
                    sends.add(pubs.get(p).publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE)
                            .payload((p + ":" + seq).getBytes(StandardCharsets.UTF_8)).send());
                }
            }
            if (midway != null && chunk == PER_PUBLISHER / CHUNK / 4) {
                aside = CompletableFuture.runAsync(midway);
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join(); // every one PUBACKed
        }
        aside.join();
    }

    private static long received(BitSet[] got) {
        long n = 0;
        for (BitSet b : got) {
            synchronized (b) {
                n += b.cardinality();
            }
        }
        return n;
    }
}

package io.trellis.cluster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routes and forwarding across a 3-node cluster in one JVM. */
class ClusterRoutingTest {
    private ClusterHarness cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void subscriberOnNode1GetsWhatNode3PublishesForExactPlusAndHashFilters() {
        cluster = ClusterHarness.start(3);
        Mqtt5AsyncClient sub = cluster.client(cluster.node(1));
        Queue<String> exact = cluster.subscribe(sub, "a/b/c", MqttQos.AT_MOST_ONCE);
        Mqtt5AsyncClient sub2 = cluster.client(cluster.node(1));
        Queue<String> plus = cluster.subscribe(sub2, "a/+/c", MqttQos.AT_MOST_ONCE);
        Mqtt5AsyncClient sub3 = cluster.client(cluster.node(1));
        Queue<String> hash = cluster.subscribe(sub3, "a/#", MqttQos.AT_MOST_ONCE);
        awaitRoutes(3, 1, 3);

        Mqtt5AsyncClient pub = cluster.client(cluster.node(3));
        cluster.publish(pub, "a/b/c", "one", MqttQos.AT_LEAST_ONCE, false);
        cluster.publish(pub, "a/x/y", "two", MqttQos.AT_LEAST_ONCE, false);

        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
            assertThat(exact).containsExactly("one");
            assertThat(plus).containsExactly("one");
            assertThat(hash).containsExactly("one", "two");
        });
    }

    @Test
    void sharedGroupSpanningNodesDeliversEachMessageExactlyOnce() {
        cluster = ClusterHarness.start(3);
        java.util.List<Queue<String>> members = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            members.add(cluster.subscribe(cluster.client(cluster.node(i)), "$share/g/s/+", MqttQos.AT_LEAST_ONCE));
        }
        awaitRoutes(3, 1, 1);
        awaitRoutes(3, 2, 1);
        Mqtt5AsyncClient pub = cluster.client(cluster.node(3));
        for (int i = 0; i < 200; i++) {
            cluster.publish(pub, "s/" + (i % 7), "m" + i, MqttQos.AT_LEAST_ONCE, false);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> members.stream().mapToInt(Queue::size).sum() >= 200);
        java.util.List<String> all = new java.util.ArrayList<>();
        members.forEach(all::addAll);
        assertThat(all).hasSize(200).doesNotHaveDuplicates();
        assertThat(members).allSatisfy(m -> assertThat(m).isNotEmpty()); // the group really spans the nodes
    }

    @Test
    void qos1MessagesForwardedWhileThePeerRunsAreAllDeliveredInOrderPerTopicAcrossConnections() {
        cluster = ClusterHarness.start(2);
        Mqtt5AsyncClient sub = cluster.client(cluster.node(1));
        Queue<String> got = new java.util.concurrent.ConcurrentLinkedQueue<>();
        sub.subscribeWith().topicFilter("o/#").qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> got.add(p.getTopic() + " " + ClusterHarness.payload(p))).send().join();
        awaitRoutes(2, 1, 1);
        Mqtt5AsyncClient pub = cluster.client(cluster.node(2));
        int topics = 8;
        int perTopic = 150;
        java.util.List<java.util.concurrent.CompletableFuture<?>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < perTopic; i++) {
            for (int t = 0; t < topics; t++) {
                sent.add(pub.publishWith().topic("o/" + t).payload(String.valueOf(i).getBytes()).qos(MqttQos.AT_LEAST_ONCE).send());
            }
        }
        sent.forEach(java.util.concurrent.CompletableFuture::join);
        await().atMost(15, TimeUnit.SECONDS).until(() -> got.size() >= topics * perTopic);
        assertThat(got).hasSize(topics * perTopic).doesNotHaveDuplicates();
        java.util.Map<String, Integer> last = new java.util.HashMap<>();
        for (String line : got) {
            String[] parts = line.split(" ");
            int n = Integer.parseInt(parts[1]);
            assertThat(n).as("order of " + parts[0]).isEqualTo(last.getOrDefault(parts[0], -1) + 1);
            last.put(parts[0], n);
        }
        assertThat(cluster.node(2).cluster.forwardDropped()).isZero();
    }

    @Test
    void retainedMessagesAreSetAndDeletedClusterWide() {
        cluster = ClusterHarness.start(2);
        Mqtt5AsyncClient pub = cluster.client(cluster.node(1));
        cluster.publish(pub, "r/1", "kept", MqttQos.AT_LEAST_ONCE, true);
        await().atMost(5, TimeUnit.SECONDS).until(() -> cluster.node(2).mqtt.broker().retained().get("r/1") != null);
        Queue<String> got = cluster.subscribe(cluster.client(cluster.node(2)), "r/#", MqttQos.AT_LEAST_ONCE);
        await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(got).containsExactly("kept"));

        cluster.publish(pub, "r/1", "", MqttQos.AT_LEAST_ONCE, true);
        await().atMost(5, TimeUnit.SECONDS).until(() -> cluster.node(2).mqtt.broker().retained().get("r/1") == null);
    }

    @Test
    void aJoiningNodeGetsThePeersRetainedSetAsAFullCopy() {
        cluster = new ClusterHarness("127.0.0.1", 2);
        ClusterHarness.Node n1 = cluster.add("n1", ClusterHarness.COOKIE);
        ClusterHarness.Node n2 = cluster.add("n2", ClusterHarness.COOKIE);
        cluster.publish(cluster.client(n1), "full/a", "from-1", MqttQos.AT_LEAST_ONCE, true);
        cluster.publish(cluster.client(n2), "full/b", "from-2", MqttQos.AT_LEAST_ONCE, true);
        n2.cluster.join(n1.nodeName(), n1.distAddress()).join();
        await().atMost(5, TimeUnit.SECONDS).until(() -> n2.mqtt.broker().retained().get("full/a") != null
                && n1.mqtt.broker().retained().get("full/b") != null);
    }

    /** Waits until node {@code on} holds {@code count} routes of node {@code owner}. */
    void awaitRoutes(int on, int owner, int count) {
        await().atMost(5, TimeUnit.SECONDS).until(() ->
                cluster.node(on).cluster.routeCount(cluster.node(owner).nodeName()) == count);
    }
}

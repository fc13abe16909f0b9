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

    /** Waits until node {@code on} holds {@code count} routes of node {@code owner}. */
    void awaitRoutes(int on, int owner, int count) {
        await().atMost(5, TimeUnit.SECONDS).until(() ->
                cluster.node(on).cluster.routeCount(cluster.node(owner).nodeName()) == count);
    }
}

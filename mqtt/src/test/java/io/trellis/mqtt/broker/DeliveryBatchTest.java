package io.trellis.mqtt.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.trellis.mqtt.cluster.SessionState;
import io.trellis.mqtt.topic.TopicFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cross-loop hand-over of deliveries: one task per subscriber loop per batch (a routed message,
 * or a whole forwarded frame through {@link Broker#deliverBatch}), order kept within a loop, and
 * the "delivered" callback after every loop ran its share. Real single-thread executors, no sockets.
 */
class DeliveryBatchTest {
    /** An event loop that counts the tasks handed to it. */
    private static final class CountingLoop extends SingleThreadEventExecutor {
        final AtomicInteger tasks = new AtomicInteger();

        CountingLoop() {
            super(null, new DefaultThreadFactory("delivery-batch-test"), true);
        }

        @Override
        protected void run() { // as DefaultEventExecutor, which is final
            do {
                Runnable task = takeTask();
                if (task != null) {
                    runTask(task);
                    updateLastExecutionTime();
                }
            } while (!confirmShutdown());
        }

        @Override
        public void execute(Runnable task) {
            tasks.incrementAndGet();
            super.execute(task);
        }
    }

    private final CountingLoop loopA = new CountingLoop();
    private final CountingLoop loopB = new CountingLoop();
    private final Broker broker = new Broker(BrokerSettings.defaults());

    @AfterEach
    void stop() {
        loopA.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        loopB.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** An away session (no connection) on loop, QoS 1 subscription: deliveries queue up in order. */
    private Session subscriber(String clientId, EventExecutor loop, String filter) throws Exception {
        Session s = broker.claim(clientId, false, new Object(), loop).session();
        loop.submit(() -> {
            s.subscribe(new Subscription(s, TopicFilter.parse(filter, 128), 1, false, false, 0, 0));
            return null;
        }).get(5, TimeUnit.SECONDS);
        return s;
    }

    private static Message msg(String topic, int i) {
        return new Message(topic, ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false, MqttProperties.NO_PROPERTIES, "pub", 0);
    }

    private static List<String> queued(Session s) throws Exception {
        SessionState state = s.executor().submit(s::exportState).get(5, TimeUnit.SECONDS);
        List<String> out = new ArrayList<>();
        for (SessionState.PendingMessage p : state.pending()) {
            out.add(p.message().topic() + ":" + new String(p.message().payload(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void aForwardedBatchIsOneTaskPerLoopInOrder() throws Exception {
        Session a = subscriber("a", loopA, "t/#");
        Session b = subscriber("b", loopB, "t/+");
        Session a2 = subscriber("a2", loopA, "t/1");
        int before = loopA.tasks.get() + loopB.tasks.get();
        CountDownLatch delivered = new CountDownLatch(1);
        List<String> expected = new ArrayList<>();
        List<String> expectedA2 = new ArrayList<>();

        int loops = broker.deliverBatch(() -> {
            for (int i = 0; i < 50; i++) {
                String topic = "t/" + (i % 3);
                broker.deliverForwarded(msg(topic, i));
                expected.add(topic + ":m" + i);
                if (i % 3 == 1) expectedA2.add(topic + ":m" + i);
            }
        }, delivered::countDown);

        assertThat(loops).isEqualTo(2);
        assertThat(delivered.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(loopA.tasks.get() + loopB.tasks.get() - before).as("tasks handed over for 50 messages").isEqualTo(2);
        assertThat(queued(a)).containsExactlyElementsOf(expected);
        assertThat(queued(b)).containsExactlyElementsOf(expected);
        assertThat(queued(a2)).containsExactlyElementsOf(expectedA2);
    }

    @Test
    void whenDeliveredWaitsForTheSlowestLoop() throws Exception {
        Session a = subscriber("a", loopA, "t/#");
        subscriber("b", loopB, "t/#");
        CountDownLatch blockB = new CountDownLatch(1);
        loopB.execute(() -> {
            try {
                blockB.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AtomicInteger delivered = new AtomicInteger();

        broker.deliverBatch(() -> broker.deliverForwarded(msg("t/x", 1)), delivered::incrementAndGet);

        await().atMost(5, TimeUnit.SECONDS).until(() -> queued(a).size() == 1); // loop A ran its share
        assertThat(delivered).as("loop B has not run its share yet").hasValue(0);
        blockB.countDown();
        await().atMost(5, TimeUnit.SECONDS).until(() -> delivered.get() == 1);
    }

    @Test
    void aBatchWithNoRemoteDeliveryHandsNothingOverAndNeverCallsBack() {
        AtomicInteger delivered = new AtomicInteger();
        int before = loopA.tasks.get();

        int loops = broker.deliverBatch(() -> broker.deliverForwarded(msg("nobody/listens", 1)), delivered::incrementAndGet);

        assertThat(loops).isZero();
        assertThat(delivered).hasValue(0);
        assertThat(loopA.tasks.get()).isEqualTo(before);
    }

    @Test
    void publishesInsideABatchJoinIt() throws Exception {
        Session a = subscriber("a", loopA, "p/#");
        int before = loopA.tasks.get();
        CountDownLatch delivered = new CountDownLatch(1);

        broker.deliverBatch(() -> {
            for (int i = 0; i < 10; i++) broker.publish(msg("p/" + i, i));
        }, delivered::countDown);

        assertThat(delivered.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(loopA.tasks.get() - before).isEqualTo(1);
        assertThat(queued(a)).hasSize(10).first().isEqualTo("p/0:m0");
    }

    @Test
    void aPublishOutsideABatchIsStillOneTaskPerLoop() throws Exception {
        Session a = subscriber("a", loopA, "p/#");
        subscriber("a2", loopA, "p/+");
        int before = loopA.tasks.get();

        broker.publish(msg("p/1", 1));

        assertThat(loopA.tasks.get() - before).isEqualTo(1); // handed over before publish returns
        await().atMost(5, TimeUnit.SECONDS).until(() -> queued(a).size() == 1);
    }

    @Test
    void aNestedBatchCannotWaitForDelivery() {
        assertThatThrownBy(() -> broker.deliverBatch(() -> broker.deliverBatch(() -> { }, () -> { }), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nested");
        // the thread's batch is closed again: a later batch works
        assertThat(broker.deliverBatch(() -> { }, () -> { })).isZero();
    }
}

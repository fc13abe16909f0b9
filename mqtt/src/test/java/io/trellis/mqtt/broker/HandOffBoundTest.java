package io.trellis.mqtt.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.util.ReferenceCountUtil;
import io.trellis.mqtt.topic.TopicFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bound on deliveries handed to a session's loop from other threads. The subscriber's loop is
 * held busy (a task waiting on a latch) while the test thread publishes, so what waits to cross is
 * exactly what was published: no timing involved.
 */
class HandOffBoundTest {
    private final DefaultEventLoop subscriberLoop = new DefaultEventLoop();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final Broker broker = new Broker(BrokerSettings.defaults());
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() throws Exception {
        release.countDown();
        subscriberLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        channel.finishAndReleaseAll();
    }

    private Session connectedSubscriber(String filter, int qos, int receiveMaximum) throws Exception {
        Session s = broker.claim("sub", true, new Object(), subscriberLoop).session();
        onLoop(() -> {
            s.attach(channel, 5, receiveMaximum, Integer.MAX_VALUE, 0, null);
            try {
                s.subscribe(new Subscription(s, TopicFilter.parse(filter, 128), qos, false, false, 0, 0));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return s;
    }

    /** Runs on the subscriber's loop and waits: also a barrier behind every task handed over before. */
    private void onLoop(Runnable r) throws Exception {
        subscriberLoop.submit(r).get(10, TimeUnit.SECONDS);
    }

    private void holdSubscriberLoop() {
        subscriberLoop.execute(() -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static Message msg(int qos, int i) {
        return new Message("t/" + (i % 10), ("m" + i).getBytes(), qos, false, MqttProperties.NO_PROPERTIES, "pub", 0);
    }

    private List<MqttPublishMessage> publishesOut() {
        List<MqttPublishMessage> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (o instanceof MqttPublishMessage p) out.add(p);
            else ReferenceCountUtil.release(o);
        }
        return out;
    }

    private long queueFull() {
        return broker.metrics().deliveryDroppedQueueFull.sum();
    }

    @Test
    void qos0BeyondTheBoundIsDroppedAtThePublisherAndCounted() throws Exception {
        Session s = connectedSubscriber("t/#", 0, 65535);
        int limit = s.handOffLimit();
        assertThat(limit).isEqualTo(Math.max(Session.MIN_HAND_OFF_LIMIT, BrokerSettings.defaults().maxMqueueLen()));
        int published = 3 * limit;

        holdSubscriberLoop();
        for (int i = 0; i < published; i++) broker.publish(msg(0, i));

        assertThat(s.pendingHandOffs()).as("deliveries waiting to cross").isEqualTo(limit);
        assertThat(queueFull()).isEqualTo(published - limit);
        assertThat(broker.metrics().messagesDropped.sum()).isEqualTo(published - limit);

        release.countDown();
        onLoop(() -> { });
        assertThat(s.pendingHandOffs()).isZero();
        assertThat(s.handOffPeak()).isEqualTo(limit);
        List<MqttPublishMessage> received = publishesOut();
        assertThat(received.size() + queueFull()).as("received + dropped == published").isEqualTo(published);
        // the first ones crossed, in order
        assertThat(new String(received.get(0).payload().array(), 0, 2)).isEqualTo("m0");
    }

    @Test
    void forwardedQos0IsBoundedByTheCallersWindowNotDroppedAtTheHandOff() throws Exception {
        Session s = connectedSubscriber("t/#", 0, 65535);
        int published = 2 * s.handOffLimit();

        holdSubscriberLoop();
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < published; i += 100) { // frames of 100, as the cluster receiver hands them
            int first = i;
            int loops = broker.deliverBatch(() -> {
                for (int j = first; j < first + 100; j++) broker.deliverForwarded(msg(0, j));
            }, ran::incrementAndGet);
            assertThat(loops).isEqualTo(1);
        }
        assertThat(s.pendingHandOffs()).as("forwarded deliveries are counted, not dropped").isEqualTo(published);
        assertThat(queueFull()).isZero();
        // a local publish meanwhile meets the bound the forwarded backlog fills
        broker.publish(msg(0, published));
        assertThat(queueFull()).isEqualTo(1);

        release.countDown();
        onLoop(() -> { });
        assertThat(ran.get()).isEqualTo(published / 100);
        assertThat(s.pendingHandOffs()).isZero();
        assertThat(publishesOut()).hasSize(published);
    }

    @Test
    void qos1IsNeverDroppedInTransitOnlyByTheMqueueRules() throws Exception {
        int window = 32;
        Session s = connectedSubscriber("t/#", 1, window);
        int limit = s.handOffLimit();
        int mqueue = broker.settings().maxMqueueLen();
        int published = 3 * limit;

        holdSubscriberLoop();
        for (int i = 0; i < published; i++) broker.publish(msg(1, i));
        assertThat(s.pendingHandOffs()).as("QoS 1 always crosses").isEqualTo(published);
        assertThat(queueFull()).isZero();

        release.countDown();
        onLoop(() -> { });
        assertThat(s.pendingHandOffs()).isZero();
        // the window went out, the mqueue kept the newest max_mqueue_len, the rest were dropped oldest first
        long expectedDrops = published - window - mqueue;
        assertThat(queueFull()).isEqualTo(expectedDrops);
        assertThat(s.info().mqueueDropped()).isEqualTo(expectedDrops);

        // a slow subscriber acknowledges at its pace: everything kept reaches it
        int received = 0;
        List<MqttPublishMessage> batch;
        while (!(batch = publishesOut()).isEmpty()) {
            received += batch.size();
            for (MqttPublishMessage p : batch) {
                int id = p.variableHeader().packetId();
                onLoop(() -> s.onPuback(id));
            }
        }
        assertThat(received + queueFull()).as("received + dropped == published").isEqualTo(published);
    }
}

package io.trellis.mqtt.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.trellis.mqtt.MqttServer;
import io.trellis.mqtt.auth.AccessControl;
import io.trellis.mqtt.auth.ConnectDecision;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.security.authn.ConnectInfo;
import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzCache;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.Authorizer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection with an access control whose answers for {@code slow/...} topics the test gives
 * by hand (as an HTTP source would, later and on another thread): later packets keep their order
 * behind a pending answer and get the right acknowledgements; deny codes for MQTT 5 and 3.1.1;
 * deny_action = disconnect; the client leaving while an answer is pending.
 */
class AsyncAuthorizationTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Answers {@code slow/...} with a future the test completes, {@code deny/...} no, the rest yes. */
    static final class HandAnswered implements AccessControl {
        final Map<String, CompletableFuture<Boolean>> pending = new ConcurrentHashMap<>();
        final List<String> asked = new CopyOnWriteArrayList<>();
        volatile Authorizer.DenyAction denyAction = Authorizer.DenyAction.IGNORE;

        @Override
        public CompletionStage<ConnectDecision> authenticate(ConnectInfo connect) {
            return CompletableFuture.completedFuture(ConnectDecision.allowed(false));
        }

        @Override
        public boolean authorize(AuthzClient client, AuthzAction action, String topic, AuthzCache cache) {
            return authorizeAsync(client, action, topic, cache).join();
        }

        @Override
        public CompletableFuture<Boolean> authorizeAsync(AuthzClient client, AuthzAction action, String topic,
                                                         AuthzCache cache) {
            asked.add(topic);
            if (topic.startsWith("slow/")) return pending.computeIfAbsent(topic, t -> new CompletableFuture<>());
            return topic.startsWith("deny/") ? DENIED : ALLOWED;
        }

        @Override
        public Authorizer.DenyAction denyAction() {
            return denyAction;
        }

        /** Completes the answer for {@code topic} from another thread, once the broker has asked. */
        void answer(String topic, boolean allowed) {
            await().atMost(WAIT).until(() -> pending.containsKey(topic));
            CompletableFuture.runAsync(() -> pending.get(topic).complete(allowed));
        }
    }

    private final HandAnswered access = new HandAnswered();
    private MqttServer server;
    private int port;

    private void start() {
        server = new MqttServer(BrokerSettings.defaults(), List.of(new ListenerSpec(ListenerSpec.Type.TCP, "default",
                new InetSocketAddress("127.0.0.1", 0), null, null, Integer.MAX_VALUE)));
        server.broker().accessControl(access);
        server.start();
        port = server.boundListeners().get(0).address().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private Mqtt5BlockingClient v5(String id) {
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(port).buildBlocking();
        c.connect();
        return c;
    }

    private List<String> collect(Mqtt5BlockingClient subscriber) {
        List<String> got = new CopyOnWriteArrayList<>();
        subscriber.toAsync().subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE)
                .callback(p -> got.add(p.getTopic() + "=" + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)))
                .send().join();
        return got;
    }

    private static Mqtt5PubAckReasonCode pubackCode(CompletableFuture<Mqtt5PublishResult> f) {
        try {
            Mqtt5PublishResult r = f.get(10, TimeUnit.SECONDS);
            return ((Mqtt5PublishResult.Mqtt5Qos1Result) r).getPubAck().getReasonCode();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Mqtt5PubAckException pe) return pe.getMqttMessage().getReasonCode();
            throw new AssertionError(e);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void pipelinedQos1PublishesWaitInOrderBehindAPendingAnswerAndGetTheirOwnAcks() {
        start();
        Mqtt5BlockingClient sub = v5("sub");
        List<String> got = collect(sub);
        Mqtt5AsyncClient pub = v5("pub").toAsync();
        List<CompletableFuture<Mqtt5PublishResult>> acks = List.of(
                send(pub, "slow/1", "a"), send(pub, "t/1", "b"), send(pub, "deny/1", "c"), send(pub, "t/2", "d"),
                send(pub, "slow/2", "e"), send(pub, "t/3", "f"));
        // Nothing behind slow/1 goes ahead of it while its answer is pending.
        await().atMost(WAIT).until(() -> access.pending.containsKey("slow/1"));
        await().during(Duration.ofMillis(300)).atMost(WAIT)
                .until(() -> got.isEmpty() && acks.stream().noneMatch(CompletableFuture::isDone)
                        && access.asked.equals(List.of("#", "slow/1")));

        access.answer("slow/1", true);
        await().atMost(WAIT).until(() -> access.pending.containsKey("slow/2") && got.size() >= 3);
        assertThat(got).containsExactly("slow/1=a", "t/1=b", "t/2=d");
        assertThat(acks.get(5)).isNotDone();
        access.answer("slow/2", false);

        assertThat(pubackCode(acks.get(0))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(pubackCode(acks.get(1))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(pubackCode(acks.get(2))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(pubackCode(acks.get(3))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(pubackCode(acks.get(4))).isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(pubackCode(acks.get(5))).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        await().atMost(WAIT).until(() -> got.size() == 4);
        assertThat(got).containsExactly("slow/1=a", "t/1=b", "t/2=d", "t/3=f");
    }

    private static CompletableFuture<Mqtt5PublishResult> send(Mqtt5AsyncClient c, String topic, String body) {
        return c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(body.getBytes(StandardCharsets.UTF_8))
                .send();
    }

    @Test
    void aSubscribeWithPendingFiltersGetsOneSubackWithEachFiltersCode() {
        start();
        Mqtt5AsyncClient c = v5("s5").toAsync();
        var suback = c.subscribeWith()
                .addSubscription().topicFilter("slow/yes").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                .addSubscription().topicFilter("slow/no").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                .addSubscription().topicFilter("now/yes").qos(MqttQos.AT_MOST_ONCE).applySubscription()
                .send();
        access.answer("slow/no", false);
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !suback.isDone());
        access.answer("slow/yes", true);
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                () -> suback.get(10, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(Mqtt5SubAckException.class);
        assertThat(((Mqtt5SubAckException) e.getCause()).getMqttMessage().getReasonCodes()).containsExactly(
                Mqtt5SubAckReasonCode.GRANTED_QOS_1, Mqtt5SubAckReasonCode.NOT_AUTHORIZED,
                Mqtt5SubAckReasonCode.GRANTED_QOS_0);
    }

    @Test
    void mqtt311GetsSuback0x80AndAPlainPubackForPendingDenials() throws Exception {
        start();
        Mqtt3AsyncClient c = MqttClient.builder().useMqttVersion3().identifier("v3").serverHost("127.0.0.1")
                .serverPort(port).buildAsync();
        c.connect().get(10, TimeUnit.SECONDS);
        var suback = c.subscribeWith().topicFilter("slow/sub").qos(MqttQos.AT_LEAST_ONCE).send();
        var puback = c.publishWith().topic("slow/pub").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
        access.answer("slow/sub", false);
        access.answer("slow/pub", false);
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                () -> suback.get(10, TimeUnit.SECONDS));
        assertThat(((Mqtt3SubAckException) e.getCause()).getMqttMessage().getReturnCodes())
                .containsExactly(Mqtt3SubAckReturnCode.FAILURE);
        assertThat(puback.get(10, TimeUnit.SECONDS)).isNotNull(); // acknowledged (3.1.1 has no code) and dropped
        assertThat(server.broker().metrics().messagesDropped.sum()).isEqualTo(1);
    }

    @Test
    void denyActionDisconnectClosesWithReason0x87OnceThePendingAnswerIsNoAndHandlesNothingAfter() {
        access.denyAction = Authorizer.DenyAction.DISCONNECT;
        start();
        List<String> got = collect(v5("watcher"));
        Mqtt5AsyncClient c = v5("dc").toAsync();
        var ack = send(c, "slow/x", "z");
        send(c, "t/queued-behind", "never"); // waits behind slow/x, then must not be handled after the disconnect
        access.answer("slow/x", false);
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                () -> ack.get(10, TimeUnit.SECONDS));
        Throwable cause = e.getCause() instanceof Mqtt5DisconnectException ? e.getCause() : e.getCause().getCause();
        assertThat(cause).isInstanceOf(Mqtt5DisconnectException.class);
        assertThat(((Mqtt5DisconnectException) cause).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.NOT_AUTHORIZED);
        send(v5("after").toAsync(), "t/marker", "m").join();
        await().atMost(WAIT).until(() -> got.contains("t/marker=m"));
        assertThat(got).containsExactly("t/marker=m");
    }

    @Test
    void aClientThatLeavesWhileItsAnswerIsPendingIsForgottenAndItsMessageNotPublished() throws Exception {
        start();
        Mqtt5BlockingClient sub = v5("watcher");
        List<String> got = collect(sub);
        try (Socket raw = new Socket("127.0.0.1", port)) {
            OutputStream out = raw.getOutputStream();
            out.write(connect311("leaver"));
            InputStream in = raw.getInputStream();
            assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
            out.write(publish311("slow/left", 7, "gone"));
            out.write(publish311("t/after", 8, "never"));
            out.flush();
            await().atMost(WAIT).until(() -> access.pending.containsKey("slow/left"));
        }
        await().atMost(WAIT).until(() -> server.broker().metrics().liveConnections.value() == 1);
        access.answer("slow/left", true);
        send(v5("after").toAsync(), "t/marker", "m").get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> got.contains("t/marker=m"));
        assertThat(got).containsExactly("t/marker=m");
    }

    @Test
    void aWillWaitsForItsPendingAnswerAndIsPublishedOnlyWhenAllowed() throws Exception {
        start();
        List<String> got = collect(v5("will-watcher"));
        for (String who : List.of("yes", "no")) {
            try (Socket raw = new Socket("127.0.0.1", port)) {
                raw.getOutputStream().write(connect311WithWill("w-" + who, "slow/will-" + who, "bye-" + who));
                assertThat(raw.getInputStream().readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
            } // closed without DISCONNECT: the will is due
            access.answer("slow/will-" + who, who.equals("yes"));
        }
        send(v5("marker").toAsync(), "t/marker", "m").get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> got.contains("slow/will-yes=bye-yes") && got.contains("t/marker=m"));
        assertThat(got).doesNotContain("slow/will-no=bye-no");
    }

    private static byte[] connect311WithWill(String clientId, String willTopic, String willMessage) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 60}); // clean session + will, QoS 0
        writeString(body, clientId);
        writeString(body, willTopic);
        writeString(body, willMessage);
        return packet(0x10, body.toByteArray());
    }

    private static byte[] connect311(String clientId) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60});
        writeString(body, clientId);
        return packet(0x10, body.toByteArray());
    }

    private static byte[] publish311(String topic, int packetId, String payload) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, topic);
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        body.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
        return packet(0x32, body.toByteArray());
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >> 8);
        out.write(b.length & 0xFF);
        out.writeBytes(b);
    }

    private static byte[] packet(int first, byte[] body) {
        if (body.length > 127) throw new IllegalArgumentException("test packets are small");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        out.write(body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }
}

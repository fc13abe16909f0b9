package io.trellis.cluster.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.trellis.cluster.NodeName;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.cluster.SessionState;
import io.trellis.mqtt.topic.RetainedStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

public class DataMessageTest {
    private static final NodeName PEER = NodeName.parse("n2@127.0.0.1");

    public static Message message(String topic, String payload) {
        MqttProperties props = new MqttProperties();
        props.add(new MqttProperties.StringProperty(MqttProperties.CONTENT_TYPE, "text/plain"));
        props.add(new MqttProperties.StringProperty(MqttProperties.RESPONSE_TOPIC, "reply/here"));
        props.add(new MqttProperties.BinaryProperty(MqttProperties.CORRELATION_DATA, new byte[] {1, 2, 3}));
        props.add(new MqttProperties.IntegerProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR, 1));
        props.add(new MqttProperties.UserProperties(List.of(new MqttProperties.StringPair("k", "v"))));
        props.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS, 7)); // per connection: never crosses
        return new Message(topic, payload.getBytes(StandardCharsets.UTF_8), 1, true, props, "pub-1",
                System.currentTimeMillis() + 60_000);
    }

    @Test
    void everyTypeRoundTrips() throws Exception {
        Message m = message("a/b", "hello");
        SessionState session = new SessionState("c1", 3600,
                List.of(new SessionState.SubscriptionState("$share/g/a/#", 1, false, true, 2, 9)),
                List.of(new SessionState.PendingMessage(m, 1, false, 9)));
        List<DataMessage> all = List.of(
                new DataMessage.NodeInfoV1("1.2.3", 1234L, 5371),
                new DataMessage.RoutesFullV1(7, List.of("a/#", "b"), List.of(new DataMessage.SharedRoute("g", "s/+"))),
                new DataMessage.RouteDeltaV1(8, List.of(new DataMessage.RouteOp(DataMessage.RouteOp.ADD, "x", null),
                        new DataMessage.RouteOp(DataMessage.RouteOp.SHARED_REMOVE, "s/+", "g"))),
                new DataMessage.RoutesRequestV1(),
                new DataMessage.RetainedDelV1(99, "r/1"),
                new DataMessage.ClientRegisteredV1("c1", 42),
                new DataMessage.TakeoverRequestV1(5, "c1", true),
                new DataMessage.TakeoverReplyV1(6, null),
                new DataMessage.ClientsFullV1(List.of(new DataMessage.ClientEntry("c1", 42), new DataMessage.ClientEntry("c2", 43))),
                new DataMessage.ClientsFullV1(List.of()),
                new DataMessage.MergeV1(),
                new DataMessage.SawYouDownV1());
        for (DataMessage d : all) {
            assertThat(DataMessage.decode(d.encode())).isEqualTo(d);
        }
        DataMessage.TakeoverReplyV1 reply = (DataMessage.TakeoverReplyV1) DataMessage.decode(new DataMessage.TakeoverReplyV1(6, session).encode());
        assertThat(reply.session().subscriptions()).isEqualTo(session.subscriptions());
        assertSameMessage(reply.session().pending().get(0).message(), m);
        DataMessage.RetainedSetV1 set = (DataMessage.RetainedSetV1) DataMessage.decode(new DataMessage.RetainedSetV1(3, m).encode());
        assertSameMessage(set.message(), m);
    }

    public static void assertSameMessage(Message got, Message sent) {
        assertThat(got.topic()).isEqualTo(sent.topic());
        assertThat(got.payload()).isEqualTo(sent.payload());
        assertThat(got.qos()).isEqualTo(sent.qos());
        assertThat(got.retain()).isEqualTo(sent.retain());
        assertThat(got.publisher()).isEqualTo(sent.publisher());
        assertThat(got.expiresAtMillis()).isBetween(sent.expiresAtMillis() - 5_000, sent.expiresAtMillis() + 5_000);
        assertThat(got.properties().getProperty(MqttProperties.CONTENT_TYPE).value()).isEqualTo("text/plain");
        assertThat(got.properties().getProperty(MqttProperties.RESPONSE_TOPIC).value()).isEqualTo("reply/here");
        assertThat((byte[]) got.properties().getProperty(MqttProperties.CORRELATION_DATA).value()).containsExactly(1, 2, 3);
        assertThat(got.properties().getProperty(MqttProperties.PAYLOAD_FORMAT_INDICATOR).value()).isEqualTo(1);
        assertThat(got.properties().getProperties(MqttProperties.USER_PROPERTY)).hasSize(1);
        assertThat(got.properties().getProperty(MqttProperties.TOPIC_ALIAS)).isNull();
    }

    @Test
    void unknownTypesAndTruncationAreMalformed() {
        assertThatThrownBy(() -> DataMessage.decode(new byte[] {1, 2})).isInstanceOf(DataMessage.Malformed.class)
                .hasMessageContaining("type 1 version 2");
        byte[] full = new DataMessage.NodeInfoV1("v", 1, 2).encode();
        assertThatThrownBy(() -> DataMessage.decode(java.util.Arrays.copyOf(full, full.length - 1)))
                .isInstanceOf(DataMessage.Malformed.class);
    }

    @Test
    void routeDeltasApplyInOrderAndAGapAsksForAFullCopy() {
        RemoteRoutes routes = new RemoteRoutes();
        DataMessage.RouteDeltaV1 early = new DataMessage.RouteDeltaV1(1, List.of(new DataMessage.RouteOp(DataMessage.RouteOp.ADD, "a", null)));
        assertThat(routes.applyDelta(PEER, early)).as("no full copy yet").isFalse();
        routes.applyFull(PEER, new DataMessage.RoutesFullV1(3, List.of("a/+"), List.of(new DataMessage.SharedRoute("g", "s"))));
        assertThat(routes.matchNodes("a/x")).containsExactly(PEER);
        assertThat(routes.sharedNodes("g", "s")).containsExactly(PEER);
        assertThat(routes.applyDelta(PEER, new DataMessage.RouteDeltaV1(4,
                List.of(new DataMessage.RouteOp(DataMessage.RouteOp.ADD, "b/#", null))))).isTrue();
        assertThat(routes.applyDelta(PEER, new DataMessage.RouteDeltaV1(4,
                List.of(new DataMessage.RouteOp(DataMessage.RouteOp.REMOVE, "b/#", null))))).as("seen: ignored").isTrue();
        assertThat(routes.matchNodes("b/c")).containsExactly(PEER);
        assertThat(routes.applyDelta(PEER, new DataMessage.RouteDeltaV1(6,
                List.of(new DataMessage.RouteOp(DataMessage.RouteOp.REMOVE, "a/+", null))))).as("gap").isFalse();
        routes.drop(PEER);
        assertThat(routes.matchNodes("a/x")).isEmpty();
        assertThat(routes.sharedNodes("g", "s")).isEmpty();
        assertThat(routes.has(PEER)).isFalse();
    }

    @Test
    void retainedKeepsTheNewestStampAndTombstonesTravelInTheFullCopy() {
        RetainedStore<Message> store = new RetainedStore<>();
        RetainedReplica replica = new RetainedReplica(store);
        replica.apply(10, "t", message("t", "ten"));
        replica.apply(5, "t", message("t", "five"));
        assertThat(new String(store.get("t").payload(), StandardCharsets.UTF_8)).isEqualTo("ten");
        replica.apply(11, "t", null);
        assertThat(store.get("t")).isNull();
        replica.apply(9, "t", message("t", "old"));
        assertThat(store.get("t")).as("older than the delete").isNull();
        assertThat(replica.full().entries()).containsExactly(new DataMessage.RetainedEntry(11, "t", null));
    }
}

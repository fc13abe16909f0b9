package io.trellis.cluster.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.topic.RetainedStore;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RetainedReplicaTest {
    static Message retained(String topic, String payload) {
        return new Message(topic, payload.getBytes(StandardCharsets.UTF_8), 1, true, MqttProperties.NO_PROPERTIES, "p", 0);
    }

    static String payload(RetainedStore<Message> store, String topic) {
        Message m = store.get(topic);
        return m == null ? null : new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void theHigherStampWinsWhetherSetOrDelete() {
        RetainedStore<Message> store = new RetainedStore<>();
        RetainedReplica r = new RetainedReplica(store);
        r.apply(10, "t", retained("t", "ten"));
        r.apply(5, "t", retained("t", "five"));
        assertThat(payload(store, "t")).isEqualTo("ten");
        r.apply(11, "t", null);
        assertThat(store.get("t")).isNull();
        r.apply(10, "t", retained("t", "ten again"));
        assertThat(store.get("t")).isNull();
        r.apply(12, "t", retained("t", "twelve"));
        assertThat(payload(store, "t")).isEqualTo("twelve");
    }

    @Test
    void equalStampsFromTwoNodesEndTheSameOnBothWhateverTheOrder() {
        for (boolean setFirst : new boolean[] {true, false}) {
            RetainedStore<Message> store = new RetainedStore<>();
            RetainedReplica r = new RetainedReplica(store);
            Message a = retained("t", "a");
            Message b = retained("t", "b");
            if (setFirst) {
                r.apply(7, "t", a);
                r.apply(7, "t", null);
                r.apply(7, "t", b);
            } else {
                r.apply(7, "t", b);
                r.apply(7, "t", a);
                r.apply(7, "t", null);
            }
            assertThat(payload(store, "t")).as("set first: %s", setFirst).isEqualTo("b");
        }
    }
}

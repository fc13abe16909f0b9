package io.trellis.mqtt.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import io.trellis.mqtt.testing.EmbeddedBroker;
import io.trellis.mqtt.transport.ListenerSpec;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each listener kind carries MQTT 5 and 3.1.1 end to end with a real client. */
class ListenersTest {
    static EmbeddedBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedBroker.start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static MqttClientBuilder client(ListenerSpec.Type type, String id) {
        MqttClientBuilder b = MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(broker.port(type));
        if (type.tls()) b = b.sslConfig().trustManagerFactory(broker.certificates().trustManagerFactory()).applySslConfig();
        if (type.websocket()) b = b.webSocketConfig().serverPath("mqtt").subprotocol("mqtt").applyWebSocketConfig();
        return b;
    }

    @ParameterizedTest
    @EnumSource(ListenerSpec.Type.class)
    void mqtt5PublishSubscribe(ListenerSpec.Type type) throws Exception {
        Mqtt5BlockingClient c = client(type, "v5-" + type).useMqttVersion5().buildBlocking();
        c.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
            c.subscribeWith().topicFilter("l/" + type + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
            c.publishWith().topic("l/" + type + "/a").payload("hello".getBytes(StandardCharsets.UTF_8))
                    .qos(MqttQos.AT_LEAST_ONCE).send();
            Optional<Mqtt5Publish> got = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(got.get().getTopic().toString()).isEqualTo("l/" + type + "/a");
            assertThat(new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(got.get().getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        } finally {
            c.disconnect();
        }
    }

    @ParameterizedTest
    @EnumSource(ListenerSpec.Type.class)
    void mqtt311PublishSubscribe(ListenerSpec.Type type) throws Exception {
        Mqtt3BlockingClient c = client(type, "v3-" + type).useMqttVersion3().buildBlocking();
        c.connect();
        try (Mqtt3BlockingClient.Mqtt3Publishes publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
            c.subscribeWith().topicFilter("m/" + type).qos(MqttQos.EXACTLY_ONCE).send();
            c.publishWith().topic("m/" + type).payload(new byte[] {1, 2, 3}).qos(MqttQos.EXACTLY_ONCE).send();
            var got = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(got).isPresent();
            assertThat(got.get().getPayloadAsBytes()).containsExactly(1, 2, 3);
            assertThat(got.get().getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
        } finally {
            c.disconnect();
        }
    }
}

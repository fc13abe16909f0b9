package io.trellis.server.testsupport;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.trellis.server.Node;
import java.nio.charset.StandardCharsets;

/** Real MQTT 5 clients against a test node, each answering with the broker's reason code rather than throwing. */
public final class MqttProbes {
    private MqttProbes() {
    }

    /** The first MQTT listener's port (the tcp one: the others are off in test nodes). */
    public static int mqttPort(Node node) {
        return node.listeners().get(0).address().getPort();
    }

    /** A client of {@code node}, connected, with {@code username} (no password) unless it is null. */
    public static Mqtt5BlockingClient connected(Node node, String clientId, String username) {
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(mqttPort(node)).buildBlocking();
        var connect = c.connectWith();
        if (username != null) connect = connect.simpleAuth().username(username).applySimpleAuth();
        connect.send();
        return c;
    }

    /** The CONNACK's reason for a connect with {@code user} and {@code password} (none if user is null); disconnects after. */
    public static Mqtt5ConnAckReasonCode connAck(Node node, String clientId, String user, String password) {
        var c = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(mqttPort(node)).buildBlocking();
        try {
            var b = c.connectWith();
            if (user != null) b = b.simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
            var code = b.send().getReasonCode();
            c.disconnect();
            return code;
        } catch (Mqtt5ConnAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    /** The PUBACK's reason for a QoS 1 publish of one byte. */
    public static Mqtt5PubAckReasonCode publish(Mqtt5BlockingClient c, String topic) {
        try {
            c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
            return Mqtt5PubAckReasonCode.SUCCESS;
        } catch (Mqtt5PubAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    /** The SUBACK's reason for a QoS 1 subscription to {@code filter}. */
    public static Mqtt5SubAckReasonCode subscribe(Mqtt5BlockingClient c, String filter) {
        try {
            return c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().getReasonCodes().get(0);
        } catch (Mqtt5SubAckException e) {
            return e.getMqttMessage().getReasonCodes().get(0);
        }
    }
}

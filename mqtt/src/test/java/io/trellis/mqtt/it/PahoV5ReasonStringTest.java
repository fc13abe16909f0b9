package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.awaitility.Awaitility.await;

import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;

/** What Eclipse Paho v5 reads when Trellis disconnects it: the reason code and the Reason String. */
class PahoV5ReasonStringTest {

    @Test
    void takenOverClientReadsWhyItWasDisconnected() throws Exception {
        assumeFalse(ReferenceBroker.requested(), "the reason string's words are Trellis's own");
        try (TestBroker broker = TestBroker.start()) {
            String id = Ids.client("v5reason");
            AtomicReference<MqttDisconnectResponse> seen = new AtomicReference<>();
            MqttClient first = new MqttClient(broker.pahoUri(Type.TCP), id, new MemoryPersistence());
            MqttClient second = new MqttClient(broker.pahoUri(Type.TCP), id, new MemoryPersistence());
            try {
                first.setCallback(new DisconnectRecorder(seen));
                MqttConnectionOptions options = new MqttConnectionOptions();
                options.setCleanStart(true);
                first.connect(options);
                second.connect(options); // the same client id takes the session over

                await().atMost(Duration.ofSeconds(10)).until(() -> seen.get() != null);
                assertThat(seen.get().getReturnCode()).isEqualTo(0x8E);
                assertThat(seen.get().getReasonString()).isEqualTo("session taken over by a new connection with the same client id");
            } finally {
                if (second.isConnected()) second.disconnect(0);
                second.close(true);
                first.close(true);
            }
        }
    }

    private record DisconnectRecorder(AtomicReference<MqttDisconnectResponse> seen) implements MqttCallback {
        @Override
        public void disconnected(MqttDisconnectResponse response) {
            seen.set(response);
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }
}

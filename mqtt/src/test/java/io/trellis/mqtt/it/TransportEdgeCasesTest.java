package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.trellis.mqtt.it.RawMqttClient.Packet;
import io.trellis.mqtt.transport.ListenerSpec.Type;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSocket and TLS listeners facing clients that get the transport wrong. */
class TransportEdgeCasesTest {
    private static final long WAIT_SECONDS = 10;
    private static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void webSocketWithTheMqttSubprotocolCarriesBinaryMqttFrames() throws Exception {
        FirstBinaryMessage listener = new FirstBinaryMessage();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
                .buildAsync(URI.create(broker.pahoUri(Type.WS)), listener).get(WAIT_SECONDS, TimeUnit.SECONDS);
        try {
            assertThat(socket.getSubprotocol()).as("Sec-WebSocket-Protocol echoed").isEqualTo("mqtt");
            byte[] connect = connectBytes(Ids.client("ws-raw"));
            socket.sendBinary(ByteBuffer.wrap(connect), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
            byte[] answer = listener.first.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(answer[0] & 0xFF).as("CONNACK").isEqualTo(0x20);
            assertThat(answer[3]).as("accepted").isZero();
        } finally {
            socket.abort();
        }
    }

    /** EMQX answers 404 outside its ws path; mosquitto serves any path, so this fails in reference mode. */
    @Test
    void webSocketUpgradeOnAnotherPathIsRefused() {
        String wrongPath = broker.pahoUri(Type.WS).replace(TestBroker.WS_PATH, "/not-mqtt");
        Throwable outcome = catchThrowable(() -> HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
                .buildAsync(URI.create(wrongPath), new FirstBinaryMessage()).get(5, TimeUnit.SECONDS));
        assertThat(outcome).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(WebSocketHandshakeException.class);
    }

    @Test
    void textFrameInsteadOfBinaryClosesTheWebSocket() throws Exception {
        FirstBinaryMessage listener = new FirstBinaryMessage();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("mqtt")
                .buildAsync(URI.create(broker.pahoUri(Type.WS)), listener).get(WAIT_SECONDS, TimeUnit.SECONDS);
        try {
            socket.sendText("CONNECT please", true).get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(listener.closed.get(WAIT_SECONDS, TimeUnit.SECONDS)).as("close or error from the broker")
                    .isTrue();
            assertThat(listener.first).isNotCompleted();
        } finally {
            socket.abort();
        }
    }

    @Test
    void wssAcceptsAClientThatTrustsTheTestCa() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, broker.certificates().trustManagerFactory().getTrustManagers(), null);
        FirstBinaryMessage listener = new FirstBinaryMessage();
        WebSocket socket = HttpClient.newBuilder().sslContext(tls).build().newWebSocketBuilder().subprotocols("mqtt")
                .buildAsync(URI.create(broker.pahoUri(Type.WSS)), listener).get(WAIT_SECONDS, TimeUnit.SECONDS);
        try {
            socket.sendBinary(ByteBuffer.wrap(connectBytes(Ids.client("wss-raw"))), true)
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(listener.first.get(WAIT_SECONDS, TimeUnit.SECONDS)[0] & 0xFF).isEqualTo(0x20);
        } finally {
            socket.abort();
        }
    }

    @Test
    void plainMqttOnTheTlsPortIsClosed() throws IOException {
        try (RawMqttClient client = RawMqttClient.open(broker.port(Type.SSL), 4)) {
            client.send(connectBytes(Ids.client("plain-on-tls")));
            assertThat(client.awaitClosed()).extracting(Packet::type).doesNotContain(RawMqttClient.CONNACK);
        }
    }

    @Test
    void plainHttpOnTheWssPortIsClosed() throws IOException {
        try (RawMqttClient client = RawMqttClient.open(broker.port(Type.WSS), 4)) {
            client.send("GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.awaitClosed(); // any bytes (a TLS alert) are fine; an open connection is not
        }
    }

    private static byte[] connectBytes(String clientId) {
        return RawMqttClient.connectPacket(4, clientId, true, 30, null);
    }

    /** Completes with the first binary message, or records that the broker closed / errored. */
    static final class FirstBinaryMessage implements WebSocket.Listener {
        final CompletableFuture<byte[]> first = new CompletableFuture<>();
        final CompletableFuture<Boolean> closed = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream parts = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            parts.writeBytes(bytes);
            if (last) {
                first.complete(parts.toByteArray());
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(true);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(true);
        }
    }
}

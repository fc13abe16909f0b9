package io.trellis.mqtt.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trellis.mqtt.testing.EmbeddedBroker;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A QoS 0 flood from several publishers (on their own connections, so mostly other event loops) at
 * one subscriber whose socket is not read while the flood lasts: what waits to cross to the
 * subscriber's loop stays within the bound, and every message is either received or counted as
 * dropped once the subscriber reads again. Raw sockets and MQTT 3.1.1 by hand: nothing in the
 * client reads on its own.
 */
class SlowSubscriberFloodTest {
    private static final int PUBLISHERS = 4;
    private static final int PER_PUBLISHER = 5_000;
    private static final byte[] PAYLOAD = new byte[400]; // 8 MB in all: far past the 1 MB write-buffer mark

    private EmbeddedBroker server;
    private final List<Socket> sockets = new ArrayList<>();
    private final ExecutorService publishers = Executors.newFixedThreadPool(PUBLISHERS);

    @BeforeEach
    void start() {
        server = EmbeddedBroker.start();
    }

    @AfterEach
    void stop() throws Exception {
        publishers.shutdownNow();
        for (Socket s : sockets) s.close();
        server.close();
    }

    @Test
    void unreadSubscriberCostsABoundedBacklogAndEveryMessageIsReceivedOrCounted() throws Exception {
        Broker broker = server.server().broker();
        Socket sub = connect("flood-sub", 4096);
        sub.getOutputStream().write(subscribe("flood/#"));
        DataInputStream subIn = new DataInputStream(new java.io.BufferedInputStream(sub.getInputStream(), 64 * 1024));
        assertThat(readPacket(subIn)[0] & 0xF0).as("SUBACK").isEqualTo(0x90);
        Session session = broker.session("flood-sub");
        // from here the subscriber reads nothing until the publishers are done

        List<Future<?>> done = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++) {
            int n = p;
            done.add(publishers.submit(() -> {
                flood("flood-pub-" + n, "flood/" + n);
                return null;
            }));
        }
        for (Future<?> f : done) f.get(60, TimeUnit.SECONDS); // each publisher's PINGRESP: all its PUBLISHes routed

        int published = PUBLISHERS * PER_PUBLISHER;
        await().atMost(Duration.ofSeconds(30)).until(() -> session.pendingHandOffs() == 0);
        assertThat(session.handOffPeak()).as("deliveries ever waiting to cross at once")
                .isLessThanOrEqualTo(session.handOffLimit());
        BrokerMetrics m = broker.metrics();
        long dropped = m.deliveryDroppedQueueFull.sum();
        assertThat(dropped).as("an unread socket cannot take 8 MB: the overflow is counted").isPositive();
        assertThat(m.messagesSent.sum() + dropped).as("sent + dropped == published").isEqualTo(published);

        int received = 0;
        sub.setSoTimeout(2_000);
        try {
            while (received + dropped < published) {
                byte[] packet = readPacket(subIn);
                if ((packet[0] & 0xF0) == 0x30) received++;
            }
        } catch (SocketTimeoutException | EOFException e) {
            // falls through to the assertion, which names the shortfall
        }
        assertThat(received + dropped).as("received + dropped == published").isEqualTo(published);
    }

    private void flood(String clientId, String topic) throws IOException {
        Socket s = connect(clientId, 0);
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        byte[] publish = publish(topic);
        for (int i = 0; i < PER_PUBLISHER; i++) out.write(publish);
        out.write(new byte[] {(byte) 0xC0, 0}); // PINGREQ: answered after every PUBLISH before it
        out.flush();
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
        while ((readPacket(in)[0] & 0xF0) != 0xD0) {
            // nothing else is expected; keep reading until PINGRESP
        }
    }

    private Socket connect(String clientId, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        synchronized (sockets) {
            sockets.add(s);
        }
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
        s.connect(new java.net.InetSocketAddress(server.host(), server.tcpPort()), 10_000);
        s.setSoTimeout(30_000);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, "MQTT");
        body.write(4); // 3.1.1
        body.write(0x02); // clean session
        body.write(0);
        body.write(60); // keepalive 60 s
        writeString(body, clientId);
        s.getOutputStream().write(packet(0x10, body.toByteArray()));
        byte[] connack = readPacket(new DataInputStream(s.getInputStream()));
        assertThat(connack[0] & 0xF0).as("CONNACK").isEqualTo(0x20);
        assertThat(connack[connack.length - 1]).as("CONNACK return code").isZero();
        return s;
    }

    private static byte[] subscribe(String filter) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0);
        body.write(1); // packet id 1
        writeString(body, filter);
        body.write(0); // QoS 0
        return packet(0x82, body.toByteArray());
    }

    private static byte[] publish(String topic) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, topic);
        body.write(PAYLOAD);
        return packet(0x30, body.toByteArray());
    }

    private static void writeString(ByteArrayOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >> 8);
        out.write(b.length);
        out.write(b);
    }

    private static byte[] packet(int firstByte, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(firstByte);
        int len = body.length;
        do {
            int digit = len % 128;
            len /= 128;
            out.write(len > 0 ? digit | 0x80 : digit);
        } while (len > 0);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** One packet: its first byte, then its body (the remaining length is consumed). */
    private static byte[] readPacket(DataInputStream in) throws IOException {
        int first = in.readUnsignedByte();
        int len = 0;
        int shift = 0;
        int b;
        do {
            b = in.readUnsignedByte();
            len |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        byte[] packet = new byte[1 + len];
        packet[0] = (byte) first;
        in.readFully(packet, 1, len);
        return packet;
    }
}

package io.trellis.mqtt.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An MQTT client made of a plain socket and hand-written bytes, so tests can send exactly what a
 * broken or hostile client would: nothing is validated on the way out. Reads block at most
 * {@link #READ_TIMEOUT}, so a broker that never answers fails the test instead of hanging it.
 */
final class RawMqttClient implements AutoCloseable {
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    static final int CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7,
            SUBSCRIBE = 8, SUBACK = 9, UNSUBACK = 11, PINGREQ = 12, PINGRESP = 13, DISCONNECT = 14;

    // MQTT 5 property identifiers used by the tests
    static final int PAYLOAD_FORMAT = 0x01, MESSAGE_EXPIRY = 0x02, SUBSCRIPTION_ID = 0x0B, SESSION_EXPIRY = 0x11,
            ASSIGNED_CLIENT_ID = 0x12, REASON_STRING = 0x1F, RECEIVE_MAXIMUM = 0x21, TOPIC_ALIAS_MAXIMUM = 0x22,
            TOPIC_ALIAS = 0x23, MAXIMUM_QOS = 0x24, USER_PROPERTY = 0x26, MAXIMUM_PACKET_SIZE = 0x27;

    private final Socket socket;
    private final DataInputStream in;
    final int version;
    private int lastFlags;

    /** One packet as read: type, the low four bits of the first byte, and the variable part. */
    record Packet(int type, int flags, byte[] body) {
        int reasonCodeOrZero() {
            return body.length == 0 ? 0 : body[type == CONNACK ? 1 : 0] & 0xFF;
        }
    }

    /** A decoded PUBLISH. */
    record Publish(String topic, int qos, boolean retain, int packetId, Map<Integer, List<Object>> properties,
                   byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private RawMqttClient(Socket socket, int version) throws IOException {
        this.socket = socket;
        this.version = version;
        this.in = new DataInputStream(socket.getInputStream());
    }

    /** Opens a socket; version is 4 (3.1.1) or 5 and only shapes what the helpers encode. */
    static RawMqttClient open(int port, int version) {
        return open(port, version, 0);
    }

    /** With a small receive buffer, so a client that stops reading backs up into the broker quickly. */
    static RawMqttClient open(int port, int version, int receiveBufferBytes) {
        try {
            Socket socket = new Socket();
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) READ_TIMEOUT.toMillis());
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.setTcpNoDelay(true);
            return new RawMqttClient(socket, version);
        } catch (IOException e) {
            throw new UncheckedIOException("could not connect to 127.0.0.1:" + port, e);
        }
    }

    /** Sends CONNECT and returns the CONNACK, failing if something else comes back. */
    Packet connect(String clientId, boolean cleanStart, Properties properties) throws IOException {
        send(connectPacket(clientId, cleanStart, 30, properties));
        Packet answer = read();
        if (answer.type() != CONNACK) {
            throw new AssertionError("expected CONNACK, got packet type " + answer.type());
        }
        return answer;
    }

    byte[] connectPacket(String clientId, boolean cleanStart, int keepaliveSeconds, Properties properties) {
        return connectPacket(version, clientId, cleanStart, keepaliveSeconds, properties);
    }

    static byte[] connectPacket(int version, String clientId, boolean cleanStart, int keepaliveSeconds,
                                Properties properties) {
        Bytes body = new Bytes().string("MQTT").u8(version).u8(cleanStart ? 0x02 : 0x00).u16(keepaliveSeconds);
        if (version == 5) {
            body.raw(properties == null ? Properties.none().encode() : properties.encode());
        }
        body.string(clientId);
        return packet(CONNECT << 4, body);
    }

    /** CONNECT with a will (QoS 1, not retained) and the given keepalive. */
    byte[] connectPacketWithWill(String clientId, int keepaliveSeconds, String willTopic, String willPayload) {
        Bytes body = new Bytes().string("MQTT").u8(version).u8(0x02 | 0x04 | 1 << 3).u16(keepaliveSeconds);
        if (version == 5) {
            body.raw(Properties.none().encode());
        }
        body.string(clientId);
        if (version == 5) {
            body.raw(Properties.none().encode()); // will properties
        }
        body.string(willTopic).string(willPayload);
        return packet(CONNECT << 4, body);
    }

    void unsubscribe(int packetId, String filter) throws IOException {
        Bytes body = new Bytes().u16(packetId);
        if (version == 5) {
            body.raw(Properties.none().encode());
        }
        send(packet(10 << 4 | 0x02, body.string(filter)));
    }

    void subscribe(int packetId, String filter, int options, Properties properties) throws IOException {
        Bytes body = new Bytes().u16(packetId);
        if (version == 5) {
            body.raw(properties == null ? Properties.none().encode() : properties.encode());
        }
        body.string(filter).u8(options);
        send(packet(SUBSCRIBE << 4 | 0x02, body));
    }

    /** Subscribes and waits for the SUBACK, returning its reason codes. */
    byte[] subscribeAndAwait(int packetId, String filter, int options, Properties properties) throws IOException {
        subscribe(packetId, filter, options, properties);
        Packet answer = readSkipping(PUBLISH);
        if (answer.type() != SUBACK) {
            throw new AssertionError("expected SUBACK, got packet type " + answer.type());
        }
        Bytes.Reader reader = new Bytes.Reader(answer.body());
        reader.u16();
        if (version == 5) {
            reader.skipProperties();
        }
        return reader.rest();
    }

    byte[] publishPacket(byte[] topic, int qos, boolean retain, int packetId, Properties properties, byte[] payload) {
        Bytes body = new Bytes().binary(topic);
        if (qos > 0) {
            body.u16(packetId);
        }
        if (version == 5) {
            body.raw(properties == null ? Properties.none().encode() : properties.encode());
        }
        body.raw(payload);
        return packet(PUBLISH << 4 | qos << 1 | (retain ? 1 : 0), body);
    }

    void publish(String topic, int qos, int packetId, Properties properties, String payload) throws IOException {
        send(publishPacket(topic.getBytes(StandardCharsets.UTF_8), qos, false, packetId, properties,
                payload.getBytes(StandardCharsets.UTF_8)));
    }

    void pubrel(int packetId) throws IOException {
        send(packet(PUBREL << 4 | 0x02, new Bytes().u16(packetId)));
    }

    void pubrec(int packetId) throws IOException {
        send(packet(PUBREC << 4, new Bytes().u16(packetId)));
    }

    void pubcomp(int packetId) throws IOException {
        send(packet(PUBCOMP << 4, new Bytes().u16(packetId)));
    }

    void puback(int packetId) throws IOException {
        send(packet(PUBACK << 4, new Bytes().u16(packetId)));
    }

    void send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The next packet; throws EOFException if the broker closed the connection. */
    Packet read() throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new EOFException("broker closed the connection");
        }
        int length = 0;
        int multiplier = 1;
        int digit;
        do {
            digit = in.readUnsignedByte();
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((digit & 0x80) != 0);
        byte[] body = new byte[length];
        in.readFully(body);
        lastFlags = first & 0x0F;
        return new Packet(first >> 4, first & 0x0F, body);
    }

    /** Fixed-header flags of the last packet read (DUP is 0x08 on a PUBLISH). */
    int lastFlags() {
        return lastFlags;
    }

    /** The next packet whose type is not skipped. */
    Packet readSkipping(int skippedType) throws IOException {
        Packet packet = read();
        while (packet.type() == skippedType) {
            packet = read();
        }
        return packet;
    }

    /**
     * Reads until the broker closes the connection and returns the packets it sent before closing.
     * Fails if the connection is still open after {@link #READ_TIMEOUT}.
     */
    List<Packet> awaitClosed() throws IOException {
        List<Packet> seen = new ArrayList<>();
        while (true) {
            try {
                seen.add(read());
            } catch (EOFException | SocketException e) {
                return seen; // closed (a reset counts: the broker may close with unread input pending)
            } catch (SocketTimeoutException e) {
                throw new AssertionError("broker kept the connection open for " + READ_TIMEOUT
                        + " after packets " + seen.stream().map(Packet::type).toList());
            }
        }
    }

    Publish decodePublish(Packet packet) {
        if (packet.type() != PUBLISH) {
            throw new AssertionError("expected PUBLISH, got packet type " + packet.type());
        }
        int qos = packet.flags() >> 1 & 0x03;
        Bytes.Reader reader = new Bytes.Reader(packet.body());
        String topic = reader.string();
        int packetId = qos > 0 ? reader.u16() : 0;
        Map<Integer, List<Object>> properties = version == 5 ? reader.properties() : Map.of();
        return new Publish(topic, qos, (packet.flags() & 1) == 1, packetId, properties, reader.rest());
    }

    /** Properties of a CONNACK (MQTT 5). */
    static Map<Integer, List<Object>> connackProperties(Packet connack) {
        Bytes.Reader reader = new Bytes.Reader(connack.body());
        reader.u8();
        reader.u8();
        return reader.properties();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a socket the broker already reset
        }
    }

    static byte[] packet(int firstByte, Bytes body) {
        byte[] content = body.toByteArray();
        Bytes whole = new Bytes().u8(firstByte).varInt(content.length).raw(content);
        return whole.toByteArray();
    }

    /** MQTT 5 properties in wire order. */
    static final class Properties {
        private final Bytes bytes = new Bytes();

        static Properties none() {
            return new Properties();
        }

        Properties u8(int id, int value) {
            bytes.u8(id).u8(value);
            return this;
        }

        Properties u16(int id, int value) {
            bytes.u8(id).u16(value);
            return this;
        }

        Properties u32(int id, long value) {
            bytes.u8(id).u32(value);
            return this;
        }

        Properties varInt(int id, int value) {
            bytes.u8(id).varInt(value);
            return this;
        }

        Properties string(int id, String value) {
            bytes.u8(id).string(value);
            return this;
        }

        byte[] encode() {
            byte[] content = bytes.toByteArray();
            return new Bytes().varInt(content.length).raw(content).toByteArray();
        }
    }

    /** Big-endian MQTT encoding. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u8(int value) {
            out.write(value);
            return this;
        }

        Bytes u16(int value) {
            out.write(value >> 8);
            out.write(value);
            return this;
        }

        Bytes u32(long value) {
            return u16((int) (value >> 16)).u16((int) value);
        }

        Bytes varInt(int value) {
            do {
                int digit = value % 128;
                value /= 128;
                out.write(value > 0 ? digit | 0x80 : digit);
            } while (value > 0);
            return this;
        }

        Bytes binary(byte[] value) {
            u16(value.length);
            return raw(value);
        }

        Bytes string(String value) {
            return binary(value.getBytes(StandardCharsets.UTF_8));
        }

        Bytes raw(byte[] value) {
            out.writeBytes(value);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        static final class Reader {
            private final byte[] data;
            private int position;

            Reader(byte[] data) {
                this.data = data;
            }

            int u8() {
                return data[position++] & 0xFF;
            }

            int u16() {
                return u8() << 8 | u8();
            }

            long u32() {
                return (long) u16() << 16 | u16();
            }

            int varInt() {
                int value = 0;
                int multiplier = 1;
                int digit;
                do {
                    digit = u8();
                    value += (digit & 0x7F) * multiplier;
                    multiplier *= 128;
                } while ((digit & 0x80) != 0);
                return value;
            }

            byte[] binary() {
                int length = u16();
                byte[] value = java.util.Arrays.copyOfRange(data, position, position + length);
                position += length;
                return value;
            }

            String string() {
                return new String(binary(), StandardCharsets.UTF_8);
            }

            byte[] rest() {
                byte[] value = java.util.Arrays.copyOfRange(data, position, data.length);
                position = data.length;
                return value;
            }

            void skipProperties() {
                int length = varInt();
                position += length;
            }

            /** Property id to its values (a list: user properties and subscription ids repeat). */
            Map<Integer, List<Object>> properties() {
                int end = varInt();
                end += position;
                Map<Integer, List<Object>> properties = new LinkedHashMap<>();
                while (position < end) {
                    int id = varInt();
                    Object value = switch (id) {
                        case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> u8();
                        case 0x13, 0x21, 0x22, 0x23 -> u16();
                        case 0x02, 0x11, 0x18, 0x27 -> u32();
                        case 0x0B -> varInt();
                        case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> string();
                        case 0x09, 0x16 -> binary();
                        case 0x26 -> string() + "=" + string();
                        default -> throw new AssertionError("unknown MQTT 5 property id 0x" + Integer.toHexString(id));
                    };
                    properties.computeIfAbsent(id, key -> new ArrayList<>()).add(value);
                }
                return properties;
            }
        }
    }

    static Optional<Object> first(Map<Integer, List<Object>> properties, int id) {
        List<Object> values = properties.get(id);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }
}

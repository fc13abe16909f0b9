package io.trellis.cluster.data;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.trellis.mqtt.broker.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Field encodings shared by the data-plane messages and the FORWARD frame: strings (u16 length,
 * UTF-8), nullable strings (u8 present flag first), byte arrays (u32 length) and an MQTT
 * application message. A message carries its expiry as milliseconds remaining (clocks of two
 * nodes differ), and of its MQTT 5 properties those needed for delivery: payload format,
 * content type, response topic, correlation data, user properties (message expiry is the
 * remaining time; topic alias and subscription identifier are per connection and never cross).
 */
public final class Wire {
    private static final int NO_EXPIRY = -1;

    private Wire() {
    }

    public static void writeString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + b.length + " bytes is longer than 65535");
        }
        out.writeShort(b.length).writeBytes(b);
    }

    public static String readString(ByteBuf in) {
        int len = in.readUnsignedShort();
        String s = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8);
        in.skipBytes(len);
        return s;
    }

    public static void writeNullableString(ByteBuf out, String s) {
        out.writeBoolean(s != null);
        if (s != null) {
            writeString(out, s);
        }
    }

    public static String readNullableString(ByteBuf in) {
        return in.readBoolean() ? readString(in) : null;
    }

    public static void writeBytes(ByteBuf out, byte[] b) {
        out.writeInt(b.length).writeBytes(b);
    }

    public static byte[] readBytes(ByteBuf in, int max) {
        int len = in.readInt();
        if (len < 0 || len > max || len > in.readableBytes()) {
            throw new IndexOutOfBoundsException("byte array of " + len + " bytes");
        }
        byte[] b = new byte[len];
        in.readBytes(b);
        return b;
    }

    public static void writeMessage(ByteBuf out, Message m, long nowMillis) {
        writeString(out, m.topic());
        writeBytes(out, m.payload());
        out.writeByte(m.qos()).writeBoolean(m.retain());
        writeNullableString(out, m.publisher());
        out.writeLong(m.expiresAtMillis() == 0 ? NO_EXPIRY : Math.max(0, m.expiresAtMillis() - nowMillis));
        MqttProperties props = m.properties();
        if (props == null || props.isEmpty()) {
            out.writeByte(0); // the common case: no list to build
            return;
        }
        List<MqttProperties.MqttProperty> pass = new ArrayList<>();
        for (MqttProperties.MqttProperty<?> p : props.listAll()) {
            int id = p.propertyId();
            if (id == MqttProperties.PAYLOAD_FORMAT_INDICATOR || id == MqttProperties.CONTENT_TYPE
                    || id == MqttProperties.RESPONSE_TOPIC || id == MqttProperties.CORRELATION_DATA
                    || id == MqttProperties.USER_PROPERTY) {
                pass.add(p);
            }
        }
        out.writeByte(pass.size());
        for (MqttProperties.MqttProperty<?> p : pass) {
            out.writeByte(p.propertyId());
            if (p instanceof MqttProperties.IntegerProperty ip) {
                out.writeInt(ip.value());
            } else if (p instanceof MqttProperties.StringProperty sp) {
                writeString(out, sp.value());
            } else if (p instanceof MqttProperties.BinaryProperty bp) {
                writeBytes(out, bp.value());
            } else if (p instanceof MqttProperties.UserProperties up) {
                out.writeShort(up.value().size());
                for (MqttProperties.StringPair pair : up.value()) {
                    writeString(out, pair.key);
                    writeString(out, pair.value);
                }
            }
        }
    }

    public static Message readMessage(ByteBuf in, long nowMillis) {
        String topic = readString(in);
        byte[] payload = readBytes(in, Integer.MAX_VALUE);
        int qos = in.readUnsignedByte();
        if (qos > 2) {
            throw new IndexOutOfBoundsException("qos " + qos);
        }
        boolean retain = in.readBoolean();
        String publisher = readNullableString(in);
        long remaining = in.readLong();
        int count = in.readUnsignedByte();
        MqttProperties props = count == 0 ? MqttProperties.NO_PROPERTIES : new MqttProperties();
        for (int i = 0; i < count; i++) {
            int id = in.readUnsignedByte();
            switch (id) {
                case MqttProperties.PAYLOAD_FORMAT_INDICATOR -> props.add(new MqttProperties.IntegerProperty(id, in.readInt()));
                case MqttProperties.CONTENT_TYPE, MqttProperties.RESPONSE_TOPIC ->
                        props.add(new MqttProperties.StringProperty(id, readString(in)));
                case MqttProperties.CORRELATION_DATA -> props.add(new MqttProperties.BinaryProperty(id, readBytes(in, 0xFFFF)));
                case MqttProperties.USER_PROPERTY -> {
                    int pairs = in.readUnsignedShort();
                    List<MqttProperties.StringPair> list = new ArrayList<>(pairs);
                    for (int j = 0; j < pairs; j++) {
                        list.add(new MqttProperties.StringPair(readString(in), readString(in)));
                    }
                    props.add(new MqttProperties.UserProperties(list));
                }
                default -> throw new IndexOutOfBoundsException("property " + id);
            }
        }
        long expiresAt = remaining == NO_EXPIRY ? 0 : nowMillis + remaining;
        return new Message(topic, payload, qos, retain, props, publisher, expiresAt);
    }
}

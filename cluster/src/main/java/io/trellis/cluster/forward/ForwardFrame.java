package io.trellis.cluster.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.trellis.cluster.data.Wire;
import io.trellis.mqtt.broker.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames on the cluster RPC channel. A type byte, a version byte, the fields; released layouts
 * are never edited (STYLE.md habit 7). The origin node is the authenticated peer of the
 * connection, so it is not repeated in the frame.
 *
 * <pre>
 * FORWARD v1  1 | 1 | u64 batch id (0: no acknowledgement wanted) | u16 n | entry * n
 *             entry: u8 shared | [str group | str filter] | message (see Wire)
 * ACK     v1  2 | 1 | u64 batch id         (the receiver handed every message of the batch to its broker)
 * </pre>
 */
public sealed interface ForwardFrame {

    /** One forwarded message; group and filter name the share group that must get it, else both null. */
    record Entry(Message message, String group, String filter) {
        boolean shared() {
            return group != null;
        }
    }

    record ForwardV1(long batchId, List<Entry> entries) implements ForwardFrame {
    }

    record AckV1(long batchId) implements ForwardFrame {
    }

    final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    default ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(sizeHint());
        if (this instanceof ForwardV1 f) {
            long now = System.currentTimeMillis();
            out.writeByte(1).writeByte(1).writeLong(f.batchId()).writeShort(f.entries().size());
            for (Entry e : f.entries()) {
                out.writeBoolean(e.shared());
                if (e.shared()) {
                    Wire.writeString(out, e.group());
                    Wire.writeString(out, e.filter());
                }
                Wire.writeMessage(out, e.message(), now);
            }
        } else if (this instanceof AckV1 a) {
            out.writeByte(2).writeByte(1).writeLong(a.batchId());
        }
        return out;
    }

    /** About the encoded size, so that a large batch is not copied while its buffer grows. */
    private int sizeHint() {
        if (!(this instanceof ForwardV1 f)) {
            return 16;
        }
        long n = 12;
        for (Entry e : f.entries()) {
            Message m = e.message();
            n += 32 + m.topic().length() + m.payload().length + (m.publisher() == null ? 0 : m.publisher().length());
        }
        return (int) Math.min(n, 1 << 20);
    }

    static ForwardFrame decode(ByteBuf in) throws Malformed {
        try {
            int type = in.readUnsignedByte();
            int version = in.readUnsignedByte();
            ForwardFrame f = switch (type * 256 + version) {
                case 1 * 256 + 1 -> {
                    long now = System.currentTimeMillis();
                    long id = in.readLong();
                    int n = in.readUnsignedShort();
                    List<Entry> entries = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        boolean shared = in.readBoolean();
                        String group = shared ? Wire.readString(in) : null;
                        String filter = shared ? Wire.readString(in) : null;
                        entries.add(new Entry(Wire.readMessage(in, now), group, filter));
                    }
                    yield new ForwardV1(id, entries);
                }
                case 2 * 256 + 1 -> new AckV1(in.readLong());
                default -> throw new Malformed("unknown RPC frame type " + type + " version " + version);
            };
            if (in.isReadable()) {
                throw new Malformed("trailing bytes after RPC frame type " + type);
            }
            return f;
        } catch (IndexOutOfBoundsException e) {
            throw new Malformed("truncated or malformed RPC frame: " + e.getMessage());
        }
    }
}

package io.trellis.cluster.conf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.trellis.cluster.data.Wire;
import java.util.ArrayList;
import java.util.List;

/**
 * The config log's messages on the distribution channel's DATA frames, in their own type range
 * (64..79) beside the data plane's (1..63). One record per (type, version); a released layout is
 * never edited, a change is a new version (STYLE.md habit 7).
 *
 * <pre>
 * PROPOSE         v1  64 | 1 | u64 request id | str kind | bytes payload      (to the sequencer)
 * PROPOSE_RESULT  v1  65 | 1 | u64 request id | u64 tnx id (0: refused) | nstr error | u16 n | str lagging node * n
 * ENTRY           v1  66 | 1 | entry                                           (sequencer to all)
 * CATCHUP_REQUEST v1  67 | 1 | u64 after                                       (send me the entries after this id)
 * CATCHUP_REPLY   v1  68 | 1 | u32 n | entry * n
 * TNX_STATUS      v1  69 | 1 | u64 last tnx id                                 (on connect and after each entry)
 * TNX_STATUS      v2  69 | 2 | u64 last committed tnx id | 32 hash of it       (on connect and after each commit)
 * APPEND          v1  70 | 1 | u64 sequencer's committed id | entry | 32 hash  (sequencer to all: keep it pending)
 * APPEND_ACK      v1  71 | 1 | u64 tnx id | 32 hash                            (the pending entry is on disk here)
 * DISCARD         v1  72 | 1 | u64 tnx id | 32 hash                            (no majority: drop that pending entry)
 * entry = u64 tnx id | str initiator | u64 created at | str kind | bytes payload
 * hash  = SHA-256 chained over the entries up to that id (ConfEntry#chainHash; 32 zero bytes for id 0)
 * </pre>
 * Since the commit needs a majority, the sequencer sends APPEND, not ENTRY; ENTRY v1 and
 * TNX_STATUS v1 are still understood (ENTRY as a committed entry).
 */
public sealed interface ConfMessage {
    int FIRST_TYPE = 64;
    int LAST_TYPE = 79;

    /** Whether a DATA body belongs to the config log (the data plane skips these). */
    static boolean isConf(byte[] body) {
        return body.length > 0 && (body[0] & 0xFF) >= FIRST_TYPE && (body[0] & 0xFF) <= LAST_TYPE;
    }

    record ProposeV1(long requestId, String kind, byte[] payload) implements ConfMessage {
    }

    record ProposeResultV1(long requestId, long tnxId, String error, List<String> lagging) implements ConfMessage {
    }

    record EntryV1(ConfEntry entry) implements ConfMessage {
    }

    record CatchupRequestV1(long after) implements ConfMessage {
    }

    record CatchupReplyV1(List<ConfEntry> entries) implements ConfMessage {
    }

    record TnxStatusV1(long lastTnx) implements ConfMessage {
    }

    record TnxStatusV2(long committedTnx, byte[] hash) implements ConfMessage {
    }

    record AppendV1(long committedTnx, ConfEntry entry, byte[] hash) implements ConfMessage {
    }

    record AppendAckV1(long tnxId, byte[] hash) implements ConfMessage {
    }

    record DiscardV1(long tnxId, byte[] hash) implements ConfMessage {
    }

    final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    default byte[] encode() {
        ByteBuf out = Unpooled.buffer();
        try {
            if (this instanceof ProposeV1 m) {
                out.writeByte(64).writeByte(1).writeLong(m.requestId());
                Wire.writeString(out, m.kind());
                Wire.writeBytes(out, m.payload());
            } else if (this instanceof ProposeResultV1 m) {
                out.writeByte(65).writeByte(1).writeLong(m.requestId()).writeLong(m.tnxId());
                Wire.writeNullableString(out, m.error());
                out.writeShort(m.lagging().size());
                m.lagging().forEach(n -> Wire.writeString(out, n));
            } else if (this instanceof EntryV1 m) {
                out.writeByte(66).writeByte(1);
                m.entry().write(out);
            } else if (this instanceof CatchupRequestV1 m) {
                out.writeByte(67).writeByte(1).writeLong(m.after());
            } else if (this instanceof CatchupReplyV1 m) {
                out.writeByte(68).writeByte(1).writeInt(m.entries().size());
                m.entries().forEach(e -> e.write(out));
            } else if (this instanceof TnxStatusV1 m) {
                out.writeByte(69).writeByte(1).writeLong(m.lastTnx());
            } else if (this instanceof TnxStatusV2 m) {
                out.writeByte(69).writeByte(2).writeLong(m.committedTnx()).writeBytes(m.hash());
            } else if (this instanceof AppendV1 m) {
                out.writeByte(70).writeByte(1).writeLong(m.committedTnx());
                m.entry().write(out);
                out.writeBytes(m.hash());
            } else if (this instanceof AppendAckV1 m) {
                out.writeByte(71).writeByte(1).writeLong(m.tnxId()).writeBytes(m.hash());
            } else if (this instanceof DiscardV1 m) {
                out.writeByte(72).writeByte(1).writeLong(m.tnxId()).writeBytes(m.hash());
            }
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    static ConfMessage decode(byte[] body) throws Malformed {
        ByteBuf in = Unpooled.wrappedBuffer(body);
        try {
            int type = in.readUnsignedByte();
            int version = in.readUnsignedByte();
            ConfMessage m = switch (type * 256 + version) {
                case 64 * 256 + 1 -> new ProposeV1(in.readLong(), Wire.readString(in), Wire.readBytes(in, ConfEntry.MAX_PAYLOAD));
                case 65 * 256 + 1 -> {
                    long id = in.readLong();
                    long tnx = in.readLong();
                    String error = Wire.readNullableString(in);
                    int n = in.readUnsignedShort();
                    List<String> lagging = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        lagging.add(Wire.readString(in));
                    }
                    yield new ProposeResultV1(id, tnx, error, lagging);
                }
                case 66 * 256 + 1 -> new EntryV1(ConfEntry.read(in));
                case 67 * 256 + 1 -> new CatchupRequestV1(in.readLong());
                case 68 * 256 + 1 -> {
                    int n = in.readInt();
                    List<ConfEntry> entries = new ArrayList<>(Math.min(Math.max(n, 0), 4096));
                    for (int i = 0; i < n; i++) {
                        entries.add(ConfEntry.read(in));
                    }
                    yield new CatchupReplyV1(entries);
                }
                case 69 * 256 + 1 -> new TnxStatusV1(in.readLong());
                case 69 * 256 + 2 -> new TnxStatusV2(in.readLong(), hash(in));
                case 70 * 256 + 1 -> new AppendV1(in.readLong(), ConfEntry.read(in), hash(in));
                case 71 * 256 + 1 -> new AppendAckV1(in.readLong(), hash(in));
                case 72 * 256 + 1 -> new DiscardV1(in.readLong(), hash(in));
                default -> throw new Malformed("unknown config log message type " + type + " version " + version);
            };
            if (in.isReadable()) {
                throw new Malformed("trailing bytes after config log message type " + type);
            }
            return m;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new Malformed("truncated or malformed config log message: " + e.getMessage());
        }
    }

    private static byte[] hash(ByteBuf in) {
        byte[] h = new byte[ConfEntry.HASH_BYTES];
        in.readBytes(h);
        return h;
    }
}

package io.trellis.cluster.data;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.trellis.mqtt.broker.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The data plane's messages on the distribution channel (inside its DATA frame): a type byte, a
 * version byte and the fields (encodings in {@link Wire}). One record per (type, version); a
 * released layout is never edited, a change is a new version (STYLE.md habit 7).
 *
 * <pre>
 * NODE_INFO         v1  1 | 1 | str version | u64 started at (epoch ms) | u16 rpc port
 * ROUTES_FULL       v1  2 | 1 | u64 seq | u32 n | str filter * n | u32 m | (str group, str filter) * m
 * ROUTE_DELTA       v1  3 | 1 | u64 first seq | u16 n | (u8 op, str filter, [str group]) * n
 * ROUTES_REQUEST    v1  4 | 1                       (the receiver saw a gap: send me your full routes)
 * RETAINED_SET      v1  5 | 1 | u64 stamp | message
 * RETAINED_DEL      v1  6 | 1 | u64 stamp | str topic
 * RETAINED_FULL     v1  7 | 1 | u32 n | (u64 stamp, str topic, u8 present, [message]) * n
 * CLIENT_REGISTERED v1  8 | 1 | str client id | u64 connected at (epoch ms)
 * TAKEOVER_REQUEST  v1  9 | 1 | u64 request id | str client id | u8 clean start
 * TAKEOVER_REPLY    v1 10 | 1 | u64 request id | u8 found | [session]
 * CLIENTS_FULL      v1 11 | 1 | u32 n | (str client id, u64 connected at) * n   (the sender's sessions, on (re)connect)
 * MERGE             v1 12 | 1                       (after a partition, the sender's operator merged: merge with me too)
 * SAW_YOU_DOWN      v1 13 | 1                       (before NODE_INFO: the sender saw this node down since its last one)
 * </pre>
 */
public sealed interface DataMessage {
    int MAX_PAYLOAD = 256 * 1024 * 1024;

    record NodeInfoV1(String version, long startedAtMillis, int rpcPort) implements DataMessage {
    }

    record SharedRoute(String group, String filter) {
    }

    record RoutesFullV1(long seq, List<String> filters, List<SharedRoute> shared) implements DataMessage {
    }

    /** One change of the owner's routes; op: 1 add, 2 remove, 3 shared add, 4 shared remove. */
    record RouteOp(int op, String filter, String group) {
        public static final int ADD = 1;
        public static final int REMOVE = 2;
        public static final int SHARED_ADD = 3;
        public static final int SHARED_REMOVE = 4;
    }

    record RouteDeltaV1(long firstSeq, List<RouteOp> ops) implements DataMessage {
    }

    record RoutesRequestV1() implements DataMessage {
    }

    record RetainedSetV1(long stamp, Message message) implements DataMessage {
    }

    record RetainedDelV1(long stamp, String topic) implements DataMessage {
    }

    /** message null: deleted at stamp (a tombstone, so a delete during a partition wins over an older copy). */
    record RetainedEntry(long stamp, String topic, Message message) {
    }

    record RetainedFullV1(List<RetainedEntry> entries) implements DataMessage {
    }

    record ClientRegisteredV1(String clientId, long connectedAtMillis) implements DataMessage {
    }

    record TakeoverRequestV1(long requestId, String clientId, boolean cleanStart) implements DataMessage {
    }

    record TakeoverReplyV1(long requestId, io.trellis.mqtt.cluster.SessionState session) implements DataMessage {
    }

    /** One client id with a session on the sender, and when its connection was made there. */
    record ClientEntry(String clientId, long connectedAtMillis) {
    }

    /**
     * Every session the sender holds, sent with its routes and retained set when a peer comes up:
     * unlike a live CLIENT_REGISTERED it reconciles (the same id on both sides after a partition).
     */
    record ClientsFullV1(List<ClientEntry> clients) implements DataMessage {
    }

    /** The sender was holding this node apart after a partition (cluster.autoheal = false) and its operator merged. */
    record MergeV1() implements DataMessage {
    }

    /**
     * Sent before NODE_INFO on a new connection when the sender saw the receiver down meanwhile:
     * with the receiver having seen the sender down too, the two ran apart (a partition).
     */
    record SawYouDownV1() implements DataMessage {
    }

    /** Thrown by {@link #decode} for bytes that are not a known message. */
    final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    default byte[] encode() {
        ByteBuf out = Unpooled.buffer();
        try {
            long now = System.currentTimeMillis();
            if (this instanceof NodeInfoV1 m) {
                out.writeByte(1).writeByte(1);
                Wire.writeString(out, m.version());
                out.writeLong(m.startedAtMillis()).writeShort(m.rpcPort());
            } else if (this instanceof RoutesFullV1 m) {
                out.writeByte(2).writeByte(1).writeLong(m.seq()).writeInt(m.filters().size());
                m.filters().forEach(f -> Wire.writeString(out, f));
                out.writeInt(m.shared().size());
                for (SharedRoute r : m.shared()) {
                    Wire.writeString(out, r.group());
                    Wire.writeString(out, r.filter());
                }
            } else if (this instanceof RouteDeltaV1 m) {
                out.writeByte(3).writeByte(1).writeLong(m.firstSeq()).writeShort(m.ops().size());
                for (RouteOp op : m.ops()) {
                    out.writeByte(op.op());
                    Wire.writeString(out, op.filter());
                    if (op.op() >= RouteOp.SHARED_ADD) {
                        Wire.writeString(out, op.group());
                    }
                }
            } else if (this instanceof RoutesRequestV1) {
                out.writeByte(4).writeByte(1);
            } else if (this instanceof RetainedSetV1 m) {
                out.writeByte(5).writeByte(1).writeLong(m.stamp());
                Wire.writeMessage(out, m.message(), now);
            } else if (this instanceof RetainedDelV1 m) {
                out.writeByte(6).writeByte(1).writeLong(m.stamp());
                Wire.writeString(out, m.topic());
            } else if (this instanceof RetainedFullV1 m) {
                out.writeByte(7).writeByte(1).writeInt(m.entries().size());
                for (RetainedEntry e : m.entries()) {
                    out.writeLong(e.stamp());
                    Wire.writeString(out, e.topic());
                    out.writeBoolean(e.message() != null);
                    if (e.message() != null) {
                        Wire.writeMessage(out, e.message(), now);
                    }
                }
            } else if (this instanceof ClientRegisteredV1 m) {
                out.writeByte(8).writeByte(1);
                Wire.writeString(out, m.clientId());
                out.writeLong(m.connectedAtMillis());
            } else if (this instanceof TakeoverRequestV1 m) {
                out.writeByte(9).writeByte(1).writeLong(m.requestId());
                Wire.writeString(out, m.clientId());
                out.writeBoolean(m.cleanStart());
            } else if (this instanceof TakeoverReplyV1 m) {
                out.writeByte(10).writeByte(1).writeLong(m.requestId()).writeBoolean(m.session() != null);
                if (m.session() != null) {
                    SessionCodec.write(out, m.session(), now);
                }
            } else if (this instanceof ClientsFullV1 m) {
                out.writeByte(11).writeByte(1).writeInt(m.clients().size());
                for (ClientEntry c : m.clients()) {
                    Wire.writeString(out, c.clientId());
                    out.writeLong(c.connectedAtMillis());
                }
            } else if (this instanceof MergeV1) {
                out.writeByte(12).writeByte(1);
            } else if (this instanceof SawYouDownV1) {
                out.writeByte(13).writeByte(1);
            }
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    static DataMessage decode(byte[] body) throws Malformed {
        ByteBuf in = Unpooled.wrappedBuffer(body);
        long now = System.currentTimeMillis();
        try {
            int type = in.readUnsignedByte();
            int version = in.readUnsignedByte();
            DataMessage m = switch (type * 256 + version) {
                case 1 * 256 + 1 -> new NodeInfoV1(Wire.readString(in), in.readLong(), in.readUnsignedShort());
                case 2 * 256 + 1 -> {
                    long seq = in.readLong();
                    int n = in.readInt();
                    List<String> filters = new ArrayList<>(Math.min(n, 4096));
                    for (int i = 0; i < n; i++) {
                        filters.add(Wire.readString(in));
                    }
                    int k = in.readInt();
                    List<SharedRoute> shared = new ArrayList<>(Math.min(k, 4096));
                    for (int i = 0; i < k; i++) {
                        shared.add(new SharedRoute(Wire.readString(in), Wire.readString(in)));
                    }
                    yield new RoutesFullV1(seq, filters, shared);
                }
                case 3 * 256 + 1 -> {
                    long first = in.readLong();
                    int n = in.readUnsignedShort();
                    List<RouteOp> ops = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        int op = in.readUnsignedByte();
                        if (op < RouteOp.ADD || op > RouteOp.SHARED_REMOVE) {
                            throw new Malformed("unknown route op " + op);
                        }
                        String filter = Wire.readString(in);
                        ops.add(new RouteOp(op, filter, op >= RouteOp.SHARED_ADD ? Wire.readString(in) : null));
                    }
                    yield new RouteDeltaV1(first, ops);
                }
                case 4 * 256 + 1 -> new RoutesRequestV1();
                case 5 * 256 + 1 -> new RetainedSetV1(in.readLong(), Wire.readMessage(in, now));
                case 6 * 256 + 1 -> new RetainedDelV1(in.readLong(), Wire.readString(in));
                case 7 * 256 + 1 -> {
                    int n = in.readInt();
                    List<RetainedEntry> entries = new ArrayList<>(Math.min(n, 4096));
                    for (int i = 0; i < n; i++) {
                        long stamp = in.readLong();
                        String topic = Wire.readString(in);
                        entries.add(new RetainedEntry(stamp, topic, in.readBoolean() ? Wire.readMessage(in, now) : null));
                    }
                    yield new RetainedFullV1(entries);
                }
                case 8 * 256 + 1 -> new ClientRegisteredV1(Wire.readString(in), in.readLong());
                case 9 * 256 + 1 -> new TakeoverRequestV1(in.readLong(), Wire.readString(in), in.readBoolean());
                case 10 * 256 + 1 -> {
                    long id = in.readLong();
                    yield new TakeoverReplyV1(id, in.readBoolean() ? SessionCodec.read(in, now) : null);
                }
                case 11 * 256 + 1 -> {
                    int n = in.readInt();
                    List<ClientEntry> clients = new ArrayList<>(Math.min(n, 4096));
                    for (int i = 0; i < n; i++) {
                        clients.add(new ClientEntry(Wire.readString(in), in.readLong()));
                    }
                    yield new ClientsFullV1(clients);
                }
                case 12 * 256 + 1 -> new MergeV1();
                case 13 * 256 + 1 -> new SawYouDownV1();
                default -> throw new Malformed("unknown data message type " + type + " version " + version);
            };
            if (in.isReadable()) {
                throw new Malformed("trailing bytes after data message type " + type);
            }
            return m;
        } catch (IndexOutOfBoundsException e) {
            throw new Malformed("truncated or malformed data message: " + e.getMessage());
        }
    }
}

package io.trellis.cluster.distribution;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.trellis.cluster.NodeName;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages on an authenticated distribution connection. A frame body is a type byte, a version
 * byte and the fields; one record per (type, version), and a released layout is never edited
 * (STYLE.md habit 7): a change is a new version of the type, used once the handshake's
 * negotiated protocol version allows it.
 *
 * <pre>
 * HEARTBEAT v1  1 | 1                                   (any frame proves liveness; this one is sent when idle)
 * MEMBERS   v1  2 | 1 | u16 count | (u8 len, node name, u16 distribution port) * count
 * LEAVE     v1  3 | 1                                   (the sender leaves the cluster; do not reconnect)
 * DATA      v1  4 | 1 | body                            (a data-plane message: routes, retained, clients;
 *                                                        its own versioned layout, see io.trellis.cluster.data)
 * </pre>
 */
public sealed interface DistMessage {

    /** Sent when the connection has been idle for a heartbeat interval. */
    record HeartbeatV1() implements DistMessage {
    }

    /** The sender and every node it has a connection to, each with its distribution port. */
    record MembersV1(List<Member> members) implements DistMessage {
        public MembersV1 {
            members = List.copyOf(members);
        }
    }

    /** A node and the port its distribution listens on. */
    record Member(NodeName name, int port) {
    }

    /** The sender leaves the cluster. */
    record LeaveV1() implements DistMessage {
    }

    /** A data-plane message for the layer above (routes, retained messages, client registry), opaque here. */
    record DataV1(byte[] body) implements DistMessage {
    }

    /** Thrown by {@link #decode} for a frame that is not a known message. */
    final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    default ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer();
        if (this instanceof HeartbeatV1) {
            out.writeByte(1).writeByte(1);
        } else if (this instanceof MembersV1 m) {
            out.writeByte(2).writeByte(1).writeShort(m.members().size());
            for (Member member : m.members()) {
                byte[] name = member.name().toString().getBytes(StandardCharsets.UTF_8);
                out.writeByte(name.length).writeBytes(name).writeShort(member.port());
            }
        } else if (this instanceof LeaveV1) {
            out.writeByte(3).writeByte(1);
        } else if (this instanceof DataV1 d) {
            out.writeByte(4).writeByte(1).writeBytes(d.body());
        }
        return out;
    }

    /** Decodes one frame body; does not release it. */
    static DistMessage decode(ByteBuf in) throws Malformed {
        try {
            int type = in.readUnsignedByte();
            int version = in.readUnsignedByte();
            DistMessage m = switch (type * 256 + version) {
                case 1 * 256 + 1 -> new HeartbeatV1();
                case 2 * 256 + 1 -> {
                    int count = in.readUnsignedShort();
                    List<Member> members = new ArrayList<>(Math.min(count, 1024));
                    for (int i = 0; i < count; i++) {
                        byte[] name = new byte[in.readUnsignedByte()];
                        in.readBytes(name);
                        NodeName node;
                        try {
                            node = NodeName.parse(new String(name, StandardCharsets.UTF_8));
                        } catch (IllegalArgumentException e) {
                            throw new Malformed("bad node name in MEMBERS: " + e.getMessage());
                        }
                        members.add(new Member(node, in.readUnsignedShort()));
                    }
                    yield new MembersV1(members);
                }
                case 3 * 256 + 1 -> new LeaveV1();
                case 4 * 256 + 1 -> {
                    byte[] body = new byte[in.readableBytes()];
                    in.readBytes(body);
                    yield new DataV1(body);
                }
                default -> throw new Malformed("unknown message type " + type + " version " + version);
            };
            if (in.isReadable()) {
                throw new Malformed("trailing bytes after message type " + type);
            }
            return m;
        } catch (IndexOutOfBoundsException e) {
            throw new Malformed("truncated message");
        }
    }
}

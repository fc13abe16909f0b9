package io.trellis.cluster.handshake;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.trellis.cluster.ClusterChannel;
import java.nio.charset.StandardCharsets;

/**
 * The four pre-handshake frames. On the wire each is a 2-byte big-endian length, then a body of
 * at most {@link #MAX_FRAME_BYTES}: a type byte and the fields below; strings and byte strings
 * carry a 1-byte length. Released layouts are never edited: a new layout gets a new protocol
 * version, negotiated by HELLO's range and CHALLENGE's choice.
 *
 * <pre>
 * HELLO     1 | "TRLS" | u16 min version | u16 max version | u8 channel | dialler name | expected acceptor name | nonce
 * CHALLENGE 2 | u16 chosen version | nonce
 * PROOF     3 | proof (32 bytes)
 * REFUSAL   4 | u8 reason | u16 min version | u16 max version   (the refuser's range; nothing derived from the cookie)
 * </pre>
 */
public sealed interface HandshakeMessage {
    /** Largest pre-handshake frame body; a longer length prefix closes the connection. */
    int MAX_FRAME_BYTES = 512;
    /** Bytes of the length prefix. */
    int LENGTH_BYTES = 2;
    /** Bytes of each nonce we send. */
    int NONCE_BYTES = 32;
    /** Fewest nonce bytes accepted from a peer. */
    int MIN_NONCE_BYTES = 16;
    /** Most nonce bytes accepted from a peer. */
    int MAX_NONCE_BYTES = 64;

    byte[] MAGIC = {'T', 'R', 'L', 'S'};

    /** The dialler's opening: what it speaks, who it is, whom it expects, its nonce. */
    record Hello(int minVersion, int maxVersion, ClusterChannel channel, String diallerName, String expectedName, byte[] nonce)
            implements HandshakeMessage {
    }

    /** The acceptor's answer: the version chosen and its nonce, nothing derived from the cookie. */
    record Challenge(int version, byte[] nonce) implements HandshakeMessage {
    }

    /** HMAC-SHA-256 proof of the sender's role (see {@link Transcript}). */
    record Proof(byte[] mac) implements HandshakeMessage {
    }

    /** Why the sender refuses, and the protocol versions it speaks, before it closes. */
    record Refusal(HandshakeFailure reason, int minVersion, int maxVersion) implements HandshakeMessage {
    }

    /** Thrown by {@link #decode} for a frame that is not one of the above. */
    final class MalformedFrame extends Exception {
        MalformedFrame(String message) {
            super(message, null, false, false);
        }
    }

    /** This message as a length-prefixed frame. */
    default ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(64);
        out.writeShort(0);
        if (this instanceof Hello h) {
            out.writeByte(1).writeBytes(MAGIC).writeShort(h.minVersion()).writeShort(h.maxVersion()).writeByte(h.channel().wireCode());
            writeString(out, h.diallerName());
            writeString(out, h.expectedName());
            writeBytes(out, h.nonce());
        } else if (this instanceof Challenge c) {
            out.writeByte(2).writeShort(c.version());
            writeBytes(out, c.nonce());
        } else if (this instanceof Proof p) {
            out.writeByte(3);
            writeBytes(out, p.mac());
        } else if (this instanceof Refusal r) {
            out.writeByte(4).writeByte(r.reason().wireCode()).writeShort(r.minVersion()).writeShort(r.maxVersion());
        }
        int body = out.readableBytes() - LENGTH_BYTES;
        if (body > MAX_FRAME_BYTES) {
            out.release();
            throw new IllegalArgumentException("handshake frame of " + body + " bytes exceeds " + MAX_FRAME_BYTES);
        }
        return out.setShort(0, body);
    }

    /** Decodes one frame body (the length prefix already removed). Does not release {@code frame}. */
    static HandshakeMessage decode(ByteBuf frame) throws MalformedFrame {
        if (!frame.isReadable()) {
            throw new MalformedFrame("empty frame");
        }
        int type = frame.readUnsignedByte();
        HandshakeMessage m;
        switch (type) {
            case 1 -> {
                byte[] magic = readFixed(frame, MAGIC.length);
                if (!java.util.Arrays.equals(magic, MAGIC)) {
                    throw new MalformedFrame("not a Trellis handshake");
                }
                int min = readUnsignedShort(frame);
                int max = readUnsignedShort(frame);
                int code = readUnsignedByte(frame);
                ClusterChannel channel = ClusterChannel.fromWireCode(code);
                String dialler = readString(frame);
                String expected = readString(frame);
                byte[] nonce = readNonce(frame);
                if (channel == null) {
                    throw new MalformedFrame("unknown channel " + code);
                }
                m = new Hello(min, max, channel, dialler, expected, nonce);
            }
            case 2 -> m = new Challenge(readUnsignedShort(frame), readNonce(frame));
            case 3 -> {
                byte[] mac = readBytes(frame);
                if (mac.length != Transcript.PROOF_LENGTH) {
                    throw new MalformedFrame("proof of " + mac.length + " bytes");
                }
                m = new Proof(mac);
            }
            case 4 -> m = new Refusal(HandshakeFailure.fromWireCode(readUnsignedByte(frame)), readUnsignedShort(frame), readUnsignedShort(frame));
            default -> throw new MalformedFrame("unknown frame type " + type);
        }
        if (frame.isReadable()) {
            throw new MalformedFrame("trailing bytes after frame type " + type);
        }
        return m;
    }

    private static void writeString(ByteBuf out, String s) {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(ByteBuf out, byte[] bytes) {
        if (bytes.length > 255) {
            throw new IllegalArgumentException("field of " + bytes.length + " bytes exceeds 255");
        }
        out.writeByte(bytes.length).writeBytes(bytes);
    }

    private static int readUnsignedByte(ByteBuf in) throws MalformedFrame {
        need(in, 1);
        return in.readUnsignedByte();
    }

    private static int readUnsignedShort(ByteBuf in) throws MalformedFrame {
        need(in, 2);
        return in.readUnsignedShort();
    }

    private static byte[] readFixed(ByteBuf in, int n) throws MalformedFrame {
        need(in, n);
        byte[] b = new byte[n];
        in.readBytes(b);
        return b;
    }

    private static byte[] readBytes(ByteBuf in) throws MalformedFrame {
        return readFixed(in, readUnsignedByte(in));
    }

    private static byte[] readNonce(ByteBuf in) throws MalformedFrame {
        byte[] nonce = readBytes(in);
        if (nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES) {
            throw new MalformedFrame("nonce of " + nonce.length + " bytes");
        }
        return nonce;
    }

    private static String readString(ByteBuf in) throws MalformedFrame {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static void need(ByteBuf in, int n) throws MalformedFrame {
        if (in.readableBytes() < n) {
            throw new MalformedFrame("truncated frame");
        }
    }
}

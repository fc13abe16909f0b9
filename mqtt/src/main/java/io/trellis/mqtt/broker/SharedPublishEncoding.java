package io.trellis.mqtt.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Fan-out fast path: a QoS 0 PUBLISH without properties is the same bytes for every subscriber of
 * one protocol family, so it is encoded once per event loop and each subscriber gets a
 * {@code retainedDuplicate()} of it. The last encoding is kept per thread (one buffer per loop)
 * and released when the next message replaces it or the thread ends.
 *
 * <p>Wire format (MQTT 3.1.1 / 5.0 section 3.3): 0x30 | retain, remaining length, topic (UTF-8,
 * 2-byte length), MQTT 5 only: property length 0, payload.
 */
final class SharedPublishEncoding {
    private SharedPublishEncoding() {
    }

    private static final class Last {
        Message message;
        boolean retain;
        boolean v5;
        ByteBuf encoded;
    }

    private static final FastThreadLocal<Last> LAST = new FastThreadLocal<>() {
        @Override
        protected Last initialValue() {
            return new Last();
        }

        @Override
        protected void onRemoval(Last last) {
            if (last.encoded != null) {
                last.encoded.release();
                last.encoded = null;
            }
        }
    };

    /** A buffer the caller owns (one reference), ready to write. */
    static ByteBuf qos0(Message m, boolean retain, boolean v5, ByteBufAllocator alloc) {
        Last last = LAST.get();
        if (last.encoded != null && last.message == m && last.retain == retain && last.v5 == v5) {
            return last.encoded.retainedDuplicate();
        }
        if (last.encoded != null) last.encoded.release();
        last.encoded = encode(m, retain, v5, alloc);
        last.message = m;
        last.retain = retain;
        last.v5 = v5;
        return last.encoded.retainedDuplicate();
    }

    static ByteBuf encode(Message m, boolean retain, boolean v5, ByteBufAllocator alloc) {
        int topicBytes = ByteBufUtil.utf8Bytes(m.topic());
        int remaining = 2 + topicBytes + (v5 ? 1 : 0) + m.payload().length;
        ByteBuf buf = alloc.directBuffer(1 + varIntSize(remaining) + remaining);
        buf.writeByte(0x30 | (retain ? 1 : 0));
        int r = remaining;
        do {
            int digit = r & 0x7F;
            r >>>= 7;
            buf.writeByte(r > 0 ? digit | 0x80 : digit);
        } while (r > 0);
        buf.writeShort(topicBytes);
        ByteBufUtil.reserveAndWriteUtf8(buf, m.topic(), topicBytes);
        if (v5) buf.writeByte(0);
        buf.writeBytes(m.payload());
        return buf;
    }

    private static int varIntSize(int v) {
        return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
    }
}

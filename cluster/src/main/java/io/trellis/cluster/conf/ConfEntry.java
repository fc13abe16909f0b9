package io.trellis.cluster.conf;

import io.netty.buffer.ByteBuf;
import io.trellis.cluster.data.Wire;
import io.netty.buffer.Unpooled;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * One change of the cluster configuration: pending on a node until a majority has it, then committed.
 *
 * @param tnxId     position in the log, 1, 2, 3... with no gap (assigned by the sequencer)
 * @param initiator the node the change was made on (API or CLI call)
 * @param createdAt epoch milliseconds on the sequencer when the id was assigned
 * @param kind      which applier handles it, e.g. "rules"
 * @param payload   opaque to the log (the applier's encoding; may hold secrets: never logged)
 */
public record ConfEntry(long tnxId, String initiator, long createdAt, String kind, byte[] payload) {
    /** The largest payload the log accepts (a config change, not a data set). */
    public static final int MAX_PAYLOAD = 4 * 1024 * 1024;

    public ConfEntry {
        Objects.requireNonNull(initiator, "initiator");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(payload, "payload");
        if (tnxId < 1) {
            throw new IllegalArgumentException("tnx id must be >= 1, got " + tnxId);
        }
    }

    /** u64 tnx | str initiator | u64 created at | str kind | u32 n | n bytes payload. */
    void write(ByteBuf out) {
        out.writeLong(tnxId);
        Wire.writeString(out, initiator);
        out.writeLong(createdAt);
        Wire.writeString(out, kind);
        Wire.writeBytes(out, payload);
    }

    static ConfEntry read(ByteBuf in) {
        return new ConfEntry(in.readLong(), Wire.readString(in), in.readLong(), Wire.readString(in), Wire.readBytes(in, MAX_PAYLOAD));
    }

    /** Bytes of a chain hash (SHA-256). */
    public static final int HASH_BYTES = 32;
    /** The hash "before" tnx 1. */
    static final byte[] NO_HASH = new byte[HASH_BYTES];

    /**
     * SHA-256 over the previous entry's hash and this entry's encoding: two logs that agree on
     * (tnx id, hash) agree on every entry up to that id, so one comparison finds a divergence.
     */
    byte[] chainHash(byte[] previous) {
        ByteBuf body = Unpooled.buffer();
        try {
            write(body);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(previous);
            sha.update(body.nioBuffer());
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e); // required of every JDK
        } finally {
            body.release();
        }
    }

    /** Same change (records compare arrays by identity, this compares their bytes). */
    public boolean sameAs(ConfEntry o) {
        return tnxId == o.tnxId && createdAt == o.createdAt && initiator.equals(o.initiator) && kind.equals(o.kind)
                && Arrays.equals(payload, o.payload);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfEntry e && sameAs(e);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tnxId) * 31 + Arrays.hashCode(payload);
    }

    /** Never the payload: it may hold passwords. */
    @Override
    public String toString() {
        return "tnx " + tnxId + " (" + kind + " from " + initiator + ", " + payload.length + " bytes)";
    }
}

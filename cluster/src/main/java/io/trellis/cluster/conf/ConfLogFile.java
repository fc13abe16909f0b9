package io.trellis.cluster.conf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The log on disk, under {@code node.data_dir/cluster-conf/}: {@code log} is append-only, one
 * record per event ({@code u32 length | u32 CRC32C of the body | body}), each append forced to
 * disk before the entry is acknowledged or applied; {@code applied} holds the tnx id up to which
 * the appliers' node-local state (e.g. rules.json) is known to be up to date, replaced atomically.
 * Both are mode 600: payloads may hold connector passwords.
 *
 * <p>Record bodies (the first byte tells them apart; a version-1 file holds only the first kind):
 * <pre>
 * entry, committed (v1)  entry                                  first byte 0 (the high byte of the tnx id)
 * ENTRY                  2 | u8 committed | entry | 32 hash     a pending (0) or committed (1) entry; replaces
 *                                                               any uncommitted entry at its id and after
 * COMMIT                 3 | u64 tnx                            entries up to tnx are committed
 * DISCARD                4 | u64 tnx                            the uncommitted entries from tnx on are dropped
 * </pre>
 * The hash chains every entry to the one before ({@link ConfEntry#chainHash}); for v1 records it
 * is computed at open, for ENTRY records it is checked at open.
 *
 * <p>Reading back: a last record that is cut short or fails its checksum (a crash during the
 * append, or a damaged disk block) is reported by {@link #recovery()}, cut off, and fetched again
 * from the peers by catch-up. A bad record followed by good ones, ids that do not follow, or a
 * hash that does not match is not a torn write: {@link #open} refuses with the file and offset, so
 * an operator decides.
 */
final class ConfLogFile implements AutoCloseable {
    static final String LOG = "log";
    static final String APPLIED = "applied";
    private static final int HEADER = 8;
    private static final int ENTRY = 2;
    private static final int COMMIT = 3;
    private static final int DISCARD = 4;

    private final Path dir;
    private final FileChannel channel;
    private final List<ConfEntry> entries;
    private final List<byte[]> hashes;
    private final long committed;
    private final String recovery;

    private ConfLogFile(Path dir, FileChannel channel, Replay r, String recovery) {
        this.dir = dir;
        this.channel = channel;
        this.entries = r.entries;
        this.hashes = r.hashes;
        this.committed = r.committed;
        this.recovery = recovery;
    }

    /** The state the records add up to, while reading them back. */
    private static final class Replay {
        final List<ConfEntry> entries = new ArrayList<>();
        final List<byte[]> hashes = new ArrayList<>();
        long committed;

        byte[] hashAt(long tnx) {
            return tnx == 0 ? ConfEntry.NO_HASH : hashes.get((int) tnx - 1);
        }

        void truncate(long last) {
            while (entries.size() > last) {
                entries.remove(entries.size() - 1);
                hashes.remove(hashes.size() - 1);
            }
        }

        /** Null when fine, else what is wrong (not a torn write: the record's checksum was good). */
        String apply(byte[] body) {
            ByteBuf in = Unpooled.wrappedBuffer(body);
            int type = body.length == 0 ? -1 : body[0];
            if (type == 0) { // v1: a committed entry, hash not stored
                ConfEntry e = ConfEntry.read(in);
                if (in.isReadable()) {
                    throw new IllegalArgumentException("trailing bytes");
                }
                if (e.tnxId() != entries.size() + 1L || committed != entries.size()) {
                    return "tnx id " + e.tnxId() + " where " + (entries.size() + 1L) + " was expected";
                }
                hashes.add(e.chainHash(hashAt(e.tnxId() - 1)));
                entries.add(e);
                committed = e.tnxId();
                return null;
            }
            in.readByte();
            if (type == ENTRY) {
                boolean isCommitted = in.readBoolean();
                ConfEntry e = ConfEntry.read(in);
                byte[] hash = new byte[ConfEntry.HASH_BYTES];
                in.readBytes(hash);
                if (in.isReadable()) {
                    throw new IllegalArgumentException("trailing bytes");
                }
                if (e.tnxId() <= committed || e.tnxId() > entries.size() + 1L) {
                    return "tnx id " + e.tnxId() + " where " + (committed + 1) + ".." + (entries.size() + 1L) + " was expected";
                }
                truncate(e.tnxId() - 1);
                if (!Arrays.equals(hash, e.chainHash(hashAt(e.tnxId() - 1)))) {
                    return "tnx " + e.tnxId() + " does not chain on the entry before it (hash mismatch)";
                }
                entries.add(e);
                hashes.add(hash);
                if (isCommitted) {
                    committed = e.tnxId();
                }
                return null;
            }
            if (type == COMMIT || type == DISCARD) {
                long tnx = in.readLong();
                if (in.isReadable()) {
                    throw new IllegalArgumentException("trailing bytes");
                }
                if (type == COMMIT) {
                    if (tnx < committed || tnx > entries.size()) {
                        return "a commit of tnx " + tnx + " with " + entries.size() + " entries, " + committed + " committed";
                    }
                    committed = tnx;
                } else {
                    if (tnx <= committed) {
                        return "a discard of tnx " + tnx + " which is committed";
                    }
                    truncate(tnx - 1);
                }
                return null;
            }
            return "an unknown record type " + type;
        }
    }

    static ConfLogFile open(Path dir) throws IOException, ConfLogCorruptException {
        Files.createDirectories(dir);
        Path file = dir.resolve(LOG);
        if (!Files.exists(file)) {
            Files.createFile(file);
            ownerOnly(file);
            forceDirectory(dir);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long size = ch.size();
            ByteBuffer all = ByteBuffer.allocate((int) Math.min(size, Integer.MAX_VALUE));
            while (all.hasRemaining() && ch.read(all) >= 0) {
                // read the whole file: a config log stays small
            }
            all.flip();
            Replay replay = new Replay();
            String recovery = null;
            long offset = 0;
            while (all.remaining() > 0) {
                String problem = null;
                String bad = null;
                int recordEnd = -1;
                if (all.remaining() < HEADER) {
                    problem = "a record header cut short (" + all.remaining() + " of " + HEADER + " bytes)";
                } else {
                    int len = all.getInt(all.position());
                    int crc = all.getInt(all.position() + 4);
                    if (len < 0 || len > ConfEntry.MAX_PAYLOAD + 65_536) {
                        problem = "an impossible record length " + len;
                    } else if (all.remaining() - HEADER < len) {
                        problem = "a record cut short (" + (all.remaining() - HEADER) + " of " + len + " bytes)";
                    } else {
                        byte[] body = new byte[len];
                        all.get(all.position() + HEADER, body);
                        recordEnd = all.position() + HEADER + len;
                        if (crc(body) != crc) {
                            problem = "a record whose checksum does not match";
                        } else {
                            try {
                                bad = replay.apply(body);
                            } catch (RuntimeException e) {
                                problem = "a record that does not decode (" + e.getMessage() + ")";
                            }
                        }
                    }
                }
                if (bad != null) {
                    throw new ConfLogCorruptException("cluster config log " + file + " at offset " + offset + ": " + bad
                            + "; move the cluster-conf directory away to fetch the whole log from the other nodes again");
                }
                if (problem != null) {
                    boolean last = recordEnd < 0 || recordEnd == all.limit();
                    if (!last) {
                        throw new ConfLogCorruptException("cluster config log " + file + " at offset " + offset + ": " + problem
                                + " followed by more records (not a torn write); move the cluster-conf directory away to fetch"
                                + " the whole log from the other nodes again");
                    }
                    recovery = "cluster config log " + file + ": the last record (after tnx " + replay.committed + ", offset "
                            + offset + ") is " + problem + "; cut off, it is fetched again from the other nodes";
                    ch.truncate(offset);
                    ch.force(true);
                    break;
                }
                all.position(recordEnd);
                offset = recordEnd;
            }
            ch.position(ch.size());
            return new ConfLogFile(dir, ch, replay, recovery);
        } catch (IOException | ConfLogCorruptException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** What was repaired at open (a cut-off last record), or null. */
    String recovery() {
        return recovery;
    }

    /** The entries read at open, in order, the uncommitted tail included. */
    List<ConfEntry> entries() {
        return entries;
    }

    /** The chain hash of each entry read at open. */
    List<byte[]> hashes() {
        return hashes;
    }

    /** The last committed tnx id read at open. */
    long committed() {
        return committed;
    }

    /** Appends the entry, pending or committed, and forces it to disk. */
    void append(ConfEntry e, byte[] hash, boolean isCommitted) throws IOException {
        ByteBuf body = Unpooled.buffer();
        try {
            body.writeByte(ENTRY).writeBoolean(isCommitted);
            e.write(body);
            body.writeBytes(hash);
            write(body);
        } finally {
            body.release();
        }
    }

    /** Records that the entries up to {@code tnx} are committed, forced to disk. */
    void commit(long tnx) throws IOException {
        ByteBuf body = Unpooled.buffer().writeByte(COMMIT).writeLong(tnx);
        try {
            write(body);
        } finally {
            body.release();
        }
    }

    /** Records that the uncommitted entries from {@code tnx} on are dropped, forced to disk. */
    void discard(long tnx) throws IOException {
        ByteBuf body = Unpooled.buffer().writeByte(DISCARD).writeLong(tnx);
        try {
            write(body);
        } finally {
            body.release();
        }
    }

    /** Appends an entry in the version-1 layout (tests: a file written before hashes existed). */
    void appendV1(ConfEntry e) throws IOException {
        ByteBuf body = Unpooled.buffer();
        try {
            e.write(body);
            write(body);
        } finally {
            body.release();
        }
    }

    private void write(ByteBuf body) throws IOException {
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        ByteBuffer record = ByteBuffer.allocate(HEADER + bytes.length);
        record.putInt(bytes.length).putInt(crc(bytes)).put(bytes).flip();
        while (record.hasRemaining()) {
            channel.write(record);
        }
        channel.force(false);
    }

    long readApplied() throws IOException {
        Path f = dir.resolve(APPLIED);
        if (!Files.exists(f)) {
            return 0;
        }
        String s = Files.readString(f, StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException(f + " holds \"" + s + "\", not a tnx id; delete it to apply the whole log again");
        }
    }

    /** Written to a temporary file, forced, then moved over the old one. */
    void writeApplied(long tnx) throws IOException {
        Path tmp = dir.resolve(APPLIED + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((tnx + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        try {
            Files.move(tmp, dir.resolve(APPLIED), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(APPLIED), StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(dir);
    }

    /** Makes a new or renamed file's directory entry durable (POSIX; a no-op where directories cannot be opened). */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory: the rename is as durable as the platform makes it
        }
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    private static void ownerOnly(Path file) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

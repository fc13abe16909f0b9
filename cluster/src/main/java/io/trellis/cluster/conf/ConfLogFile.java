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
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The log on disk, under {@code node.data_dir/cluster-conf/}: {@code log} is append-only, one
 * record per entry ({@code u32 length | u32 CRC32C of the body | body}), each append forced to
 * disk before the entry is applied or acknowledged; {@code applied} holds the tnx id up to which
 * the appliers' node-local state (e.g. rules.json) is known to be up to date, replaced atomically.
 * Both are mode 600: payloads may hold connector passwords.
 *
 * <p>Reading back: a last record that is cut short or fails its checksum (a crash during the
 * append, or a damaged disk block) is reported by {@link #recovery()}, cut off, and fetched again
 * from the peers by catch-up. A bad record followed by good ones, or ids that are not 1, 2, 3...,
 * is not a torn write: {@link #open} refuses with the file and offset, so an operator decides.
 */
final class ConfLogFile implements AutoCloseable {
    static final String LOG = "log";
    static final String APPLIED = "applied";
    private static final int HEADER = 8;

    private final Path dir;
    private final FileChannel channel;
    private final List<ConfEntry> entries;
    private final String recovery;

    private ConfLogFile(Path dir, FileChannel channel, List<ConfEntry> entries, String recovery) {
        this.dir = dir;
        this.channel = channel;
        this.entries = entries;
        this.recovery = recovery;
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
            List<ConfEntry> entries = new ArrayList<>();
            String recovery = null;
            long offset = 0;
            while (all.remaining() > 0) {
                String problem = null;
                ConfEntry entry = null;
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
                            ByteBuf in = Unpooled.wrappedBuffer(body);
                            try {
                                entry = ConfEntry.read(in);
                                if (in.isReadable()) {
                                    problem = "a record with trailing bytes";
                                }
                            } catch (RuntimeException e) {
                                problem = "a record that does not decode (" + e.getMessage() + ")";
                            }
                        }
                    }
                }
                long expected = entries.size() + 1L;
                if (problem == null && entry.tnxId() != expected) {
                    throw new ConfLogCorruptException("cluster config log " + file + " at offset " + offset + ": tnx id "
                            + entry.tnxId() + " where " + expected + " was expected; move the cluster-conf directory away"
                            + " to fetch the whole log from the other nodes again");
                }
                if (problem != null) {
                    boolean last = recordEnd < 0 || recordEnd == all.limit();
                    if (!last) {
                        throw new ConfLogCorruptException("cluster config log " + file + " at offset " + offset + ": " + problem
                                + " followed by more records (not a torn write); move the cluster-conf directory away to fetch"
                                + " the whole log from the other nodes again");
                    }
                    recovery = "cluster config log " + file + ": the last record (after tnx " + entries.size() + ", offset "
                            + offset + ") is " + problem + "; cut off, it is fetched again from the other nodes";
                    ch.truncate(offset);
                    ch.force(true);
                    break;
                }
                entries.add(entry);
                all.position(recordEnd);
                offset = recordEnd;
            }
            ch.position(ch.size());
            return new ConfLogFile(dir, ch, entries, recovery);
        } catch (IOException | ConfLogCorruptException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** What was repaired at open (a cut-off last record), or null. */
    String recovery() {
        return recovery;
    }

    /** The entries read at open, in order. */
    List<ConfEntry> entries() {
        return entries;
    }

    /** Appends and forces the record to disk. */
    void append(ConfEntry e) throws IOException {
        ByteBuf body = Unpooled.buffer();
        try {
            e.write(body);
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            ByteBuffer record = ByteBuffer.allocate(HEADER + bytes.length);
            record.putInt(bytes.length).putInt(crc(bytes)).put(bytes).flip();
            while (record.hasRemaining()) {
                channel.write(record);
            }
            channel.force(false);
        } finally {
            body.release();
        }
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

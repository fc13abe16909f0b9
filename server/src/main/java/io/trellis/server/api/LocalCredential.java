package io.trellis.server.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The credential a node makes for itself at every start, in {@code <data_dir>/api/local.cred}
 * (dir 700, file 600), so that {@code trellis ctl} run by the same user can call the API. A new
 * secret each start: a stale file from an old run grants nothing.
 */
public record LocalCredential(String key, String secret) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static Path file(Path dataDir) {
        return dataDir.resolve("api").resolve("local.cred");
    }

    public static LocalCredential generate() {
        byte[] k = new byte[6];
        byte[] s = new byte[32];
        RANDOM.nextBytes(k);
        RANDOM.nextBytes(s);
        return new LocalCredential("local-" + HexFormat.of().formatHex(k), HexFormat.of().formatHex(s));
    }

    /** Writes the credential atomically, readable by the owner only. */
    public void write(Path dataDir) throws IOException {
        Path file = file(dataDir);
        Path dir = file.getParent();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Files.createDirectories(dir);
        if (posix) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        Path tmp = posix
                ? Files.createTempFile(dir, "local", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, "local", ".tmp");
        try {
            Files.writeString(tmp, key + ":" + secret + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads what {@link #write} wrote; IOException if missing or malformed. */
    public static LocalCredential read(Path dataDir) throws IOException {
        Path file = file(dataDir);
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        int colon = text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IOException(file + " is not a key:secret credential; restart the node to rewrite it");
        }
        return new LocalCredential(text.substring(0, colon), text.substring(colon + 1));
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "LocalCredential[key=" + key + ", secret=******]";
    }
}

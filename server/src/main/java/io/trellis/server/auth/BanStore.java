package io.trellis.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.trellis.mqtt.auth.BanList;
import io.trellis.server.node.PrivateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The manual bans on disk: {@code <node.data_dir>/banned.json}, an array of {@code as}, {@code who},
 * {@code by}, {@code reason}, {@code at}, {@code until} (epoch milliseconds; until
 * {@link Long#MAX_VALUE} is "infinity"). Written whole and atomically after every change; bans that
 * expired are left out. In a cluster this is the node's copy of the bans replicated through the
 * cluster config log ({@link BanChanges}). Automatic bans (failed logins) are never stored.
 */
public final class BanStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public BanStore(Path dataDir) {
        this.file = dataDir.resolve("banned.json");
    }

    public Path file() {
        return file;
    }

    /** The stored bans still in force at {@code now}; none when the file does not exist yet. */
    public List<BanList.Ban> load(long now) throws IOException {
        if (!Files.exists(file)) return List.of();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read the bans in " + file + ": not valid JSON (fix or move away the file)", e);
        }
        if (root == null || !root.isArray()) {
            throw new IOException("cannot read the bans in " + file + ": expected a JSON array (fix or move away the file)");
        }
        List<BanList.Ban> out = new ArrayList<>();
        int i = 0;
        for (JsonNode b : root) {
            try {
                BanList.Ban ban = new BanList.Ban(BanList.As.fromName(b.path("as").asText()), b.path("who").asText(null),
                        b.path("by").asText(""), b.path("reason").asText(""), b.path("at").asLong(), b.path("until").asLong());
                if (ban.until() > now) out.add(ban);
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot read the bans in " + file + ": entry " + i + ": " + e.getMessage()
                        + " (fix or move away the file)", e);
            }
            i++;
        }
        return out;
    }

    public synchronized void save(List<BanList.Ban> bans) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        for (BanList.Ban b : bans) {
            array.addObject().put("as", b.as().id()).put("who", b.who()).put("by", b.by()).put("reason", b.reason())
                    .put("at", b.at()).put("until", b.until());
        }
        PrivateFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(array));
    }
}

package io.trellis.server.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trellis.security.authn.PasswordHashing;
import io.trellis.security.authn.UserImport;
import io.trellis.security.authn.UserImportException;
import io.trellis.security.authn.UserRecord;
import io.trellis.server.node.PrivateFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in database's users on disk: {@code <node.data_dir>/authn/built_in_database.json}, in
 * EMQX's JSON export shape ({@code user_id}, {@code password_hash}, {@code salt},
 * {@code is_superuser}): hashes only, never a password. Written whole to a temporary file with mode
 * 600, then moved over the old one atomically, so a crash leaves the old or the new file, never half
 * of one. In a cluster every node applies the same changes from the cluster config log
 * ({@link UserChanges}), so this file is the node's copy of the log's users up to its applied tnx id.
 */
public final class UserStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public UserStore(Path dataDir) {
        this.file = dataDir.resolve("authn").resolve("built_in_database.json");
    }

    public Path file() {
        return file;
    }

    /** The stored users, or none when the file does not exist yet. */
    public List<UserRecord> load(PasswordHashing hashing) throws UserImportException {
        if (!Files.exists(file)) return List.of();
        return UserImport.read(file, UserImport.PasswordType.HASH, hashing);
    }

    public synchronized void save(List<UserRecord> users) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        for (UserRecord u : users) {
            ObjectNode o = array.addObject();
            o.put("user_id", u.userId());
            o.put("password_hash", u.password().passwordHash());
            o.put("salt", u.password().salt());
            o.put("is_superuser", u.superuser());
        }
        PrivateFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array).getBytes(StandardCharsets.UTF_8));
    }
}

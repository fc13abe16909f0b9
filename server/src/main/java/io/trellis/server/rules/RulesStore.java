package io.trellis.server.rules;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.trellis.rules.api.EngineState;
import io.trellis.rules.api.Json;
import io.trellis.server.node.PrivateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The rule engine's state under {@code node.data_dir}: {@code rules.json} with the connectors,
 * actions and rules made through the API, and the SSRF policy if the API changed it. Written
 * atomically (temp file, then rename) with mode 600, because it holds bridge passwords.
 *
 * <p>Node-local for now: the cluster-wide config log (issue 5) will replace this file as the
 * source of truth; until then each node keeps and reloads its own copy.
 */
public final class RulesStore {

    /** The policy as the API shows and takes it; null fields keep the config file's value. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SsrfBody(Boolean enable, List<String> allow_cidrs, List<String> deny_cidrs, List<String> deny_hosts) {
    }

    /** The persisted document. ssrf is null until the API changes the policy. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stored(SsrfBody ssrf, EngineState engine) {
    }

    private final Path file;

    public RulesStore(Path dataDir) {
        this.file = dataDir.resolve("rules.json");
    }

    public Path file() {
        return file;
    }

    /** The stored state, or null when there is none yet. */
    public Stored read() throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        return Json.MAPPER.readValue(file.toFile(), Stored.class);
    }

    public synchronized void write(Stored state) throws IOException {
        PrivateFile.write(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    }
}

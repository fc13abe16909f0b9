package io.trellis.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {
    @TempDir
    Path dir;

    @Test
    void bootstrapFileSkipsCommentsAndBlankLines() throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "# ops keys\n\nops:s3cret:with:colons\n  dev : pw  \n");
        List<String[]> pairs = ApiKeys.parseBootstrapFile(file);
        assertThat(pairs).hasSize(2);
        assertThat(pairs.get(0)).containsExactly("ops", "s3cret:with:colons");
        assertThat(pairs.get(1)).containsExactly("dev", "pw");
    }

    @Test
    void badLineNamesFileAndLineButNotTheSecret() throws Exception {
        Path noColon = Files.writeString(dir.resolve("a"), "ok:fine\nTOPSECRETVALUE\n");
        assertThatThrownBy(() -> ApiKeys.parseBootstrapFile(noColon))
                .hasMessageContaining(noColon + ":2:")
                .hasMessageContaining("key:secret")
                .hasMessageNotContaining("TOPSECRETVALUE");
        Path emptySecret = Files.writeString(dir.resolve("b"), "ops:\n");
        assertThatThrownBy(() -> ApiKeys.parseBootstrapFile(emptySecret)).hasMessageContaining(":1: empty secret");
        Path badKey = Files.writeString(dir.resolve("c"), "o p s:TOPSECRETVALUE\n");
        assertThatThrownBy(() -> ApiKeys.parseBootstrapFile(badKey))
                .hasMessageContaining(":1:").hasMessageNotContaining("TOPSECRETVALUE");
        assertThatThrownBy(() -> ApiKeys.parseBootstrapFile(dir.resolve("missing")))
                .hasMessageContaining("api_key.bootstrap_file").hasMessageContaining("cannot read");
    }

    @Test
    void acceptsOnlyTheRightPair() {
        ApiKeys keys = new ApiKeys().add("ops", "s3cret");
        assertThat(keys.accepts("ops", "s3cret")).isTrue();
        assertThat(keys.accepts("ops", "s3cret ")).isFalse();
        assertThat(keys.accepts("nobody", "s3cret")).isFalse();
        assertThat(keys.accepts("nobody", "trellis-no-such-key")).isFalse();
        String header = "Basic " + Base64.getEncoder().encodeToString("ops:s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(keys.acceptsBasicAuth(header)).isTrue();
        assertThat(keys.acceptsBasicAuth(null)).isFalse();
        assertThat(keys.acceptsBasicAuth("Basic %%%")).isFalse();
        assertThat(keys.acceptsBasicAuth("Basic " + Base64.getEncoder().encodeToString("ops".getBytes()))).isFalse();
    }
}

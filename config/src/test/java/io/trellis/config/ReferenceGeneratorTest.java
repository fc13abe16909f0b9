package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The committed docs/config-reference.md must equal what Keys generates. To refresh it after
 * changing Keys: {@code mvn -o -q -pl config test -Dtest=ReferenceGeneratorTest -Dtrellis.updateReference=true}.
 */
class ReferenceGeneratorTest {
    private static final Path COMMITTED = Path.of("..", "docs", "config-reference.md");

    @Test
    void committedReferenceIsCurrent() throws Exception {
        String generated = ReferenceGenerator.render();
        if (Boolean.getBoolean("trellis.updateReference")) {
            Files.writeString(COMMITTED, generated, StandardCharsets.UTF_8);
        }
        assertThat(COMMITTED).as("docs/config-reference.md exists").exists();
        assertThat(Files.readString(COMMITTED, StandardCharsets.UTF_8))
                .as("docs/config-reference.md is stale: regenerate it with"
                        + " mvn -o -q -pl config test -Dtest=ReferenceGeneratorTest -Dtrellis.updateReference=true")
                .isEqualTo(generated);
    }

    @Test
    void referenceListsEveryKeyWithItsEnvironmentVariableAndMarksSecrets() {
        String md = ReferenceGenerator.render();
        for (KeyDef<?> key : Keys.all()) {
            assertThat(md).contains("### `" + key.path() + "`", "`" + key.envName() + "`");
        }
        assertThat(md).contains("## node", "## mqtt", "## listeners", "## dashboard", "## api_key", "## log");
        int cookie = md.indexOf("### `node.cookie`");
        assertThat(md.substring(cookie, md.indexOf("###", cookie + 4))).contains("**Secret**");
        assertThat(md).contains("- Default: `1MB`", "- Default: `0.0.0.0:1883` for the `default` instance");
    }
}

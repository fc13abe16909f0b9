package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped etc/trellis.conf loads, shows exactly the defaults and mentions every key. */
class ExampleConfigTest {
    private static final Path EXAMPLE = Path.of("..", "etc", "trellis.conf");

    @Test
    void exampleLoadsToTheDefaults() throws Exception {
        TrellisConfig example = TrellisConfig.load(EXAMPLE, Map.of());
        assertThat(example.describe()).isEqualTo(TrellisConfig.defaults().describe());
    }

    @Test
    void exampleMentionsEveryKey() throws Exception {
        String text = Files.readString(EXAMPLE);
        for (KeyDef<?> key : Keys.all()) {
            String leaf = key.path().substring(key.path().lastIndexOf('.') + 1);
            assertThat(text).as("etc/trellis.conf mentions " + key.path()).containsPattern("(?m)^\\s*#?\\s*([a-z_]+\\.)*" + leaf + " = ");
        }
    }
}

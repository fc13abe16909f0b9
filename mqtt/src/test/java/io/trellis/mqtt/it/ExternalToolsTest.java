package io.trellis.mqtt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class ExternalToolsTest {

    @Test
    void toolOnThePathIsFound() {
        Path sh = ExternalTools.require("sh");
        assertThat(sh).isAbsolute();
        assertThat(Files.isExecutable(sh)).isTrue();
    }

    @Test
    void missingToolSkipsLocallyAndFailsOnCi() {
        Throwable outcome = catchThrowable(() -> ExternalTools.require("trellis-no-such-tool"));
        if (ExternalTools.onCi()) {
            assertThat(outcome).isInstanceOf(AssertionFailedError.class).hasMessageContaining("CI=true");
        } else {
            assertThat(outcome).isInstanceOf(TestAbortedException.class)
                    .hasMessageContaining("trellis-no-such-tool is not on PATH");
        }
    }

    @Test
    void missingNodeModulesNameTheInstallCommand() {
        Throwable outcome = catchThrowable(() -> ExternalTools.requireNodeModules(Path.of("no-such-dir"), "mqtt"));
        if (ExternalTools.onCi()) {
            assertThat(outcome).isInstanceOf(AssertionFailedError.class);
        } else {
            assertThat(outcome).isInstanceOf(TestAbortedException.class)
                    .hasMessageContaining("npm ci --prefix no-such-dir");
        }
    }
}

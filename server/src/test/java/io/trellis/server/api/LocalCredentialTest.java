package io.trellis.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCredentialTest {
    @TempDir
    Path dataDir;

    @Test
    void writtenOwnerOnlyAndReadBack() throws Exception {
        LocalCredential cred = LocalCredential.generate();
        cred.write(dataDir);
        Path file = LocalCredential.file(dataDir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(LocalCredential.read(dataDir)).isEqualTo(cred);
        assertThat(cred.toString()).doesNotContain(cred.secret());

        LocalCredential next = LocalCredential.generate();
        next.write(dataDir);
        assertThat(next.secret()).isNotEqualTo(cred.secret());
        assertThat(LocalCredential.read(dataDir)).isEqualTo(next);
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void malformedFileIsAClearError() throws Exception {
        Files.createDirectories(LocalCredential.file(dataDir).getParent());
        Files.writeString(LocalCredential.file(dataDir), "garbage");
        assertThatThrownBy(() -> LocalCredential.read(dataDir)).hasMessageContaining("restart the node");
    }
}

package io.trellis.server;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.server.node.NodeStartException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that cannot start says which file, line or listener to fix, and never echoes a secret. */
class NodeStartFailuresTest {
    @TempDir
    Path dir;

    private Node node(Map<String, String> extraEnv) throws Exception {
        Path conf = Files.writeString(dir.resolve("trellis.conf"), "");
        Map<String, String> env = NodeTest.testEnv(dir.resolve("data"), NodeTest.freePort(), NodeTest.freePort());
        env.putAll(extraEnv);
        return Node.load(conf, env);
    }

    @Test
    void badApiKeyFileNamesFileAndLine() throws Exception {
        Path keys = Files.writeString(dir.resolve("keys"), "# keys\nops:fine\nSUPERSECRETLINE\n");
        try (Node node = node(Map.of("TRELLIS_API_KEY__BOOTSTRAP_FILE", keys.toString()))) {
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessageContaining(keys + ":3:")
                    .hasMessageNotContaining("SUPERSECRETLINE");
        }
    }

    @Test
    void missingTlsFilesNameTheListener() throws Exception {
        Path cert = dir.resolve("nowhere").resolve("cert.pem");
        try (Node node = node(Map.of("TRELLIS_LISTENERS__SSL__DEFAULT__ENABLE", "true",
                "TRELLIS_LISTENERS__SSL__DEFAULT__BIND", "127.0.0.1:" + NodeTest.freePort(),
                "TRELLIS_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE", cert.toString(),
                "TRELLIS_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__KEYFILE", dir.resolve("nowhere/key.pem").toString()))) {
            assertThatThrownBy(node::start).isInstanceOf(NodeStartException.class)
                    .hasMessageContaining("listener ssl:default")
                    .hasMessageContaining("cert.pem")
                    .hasMessageContaining("listeners.ssl.default.ssl_options");
        }
    }
}

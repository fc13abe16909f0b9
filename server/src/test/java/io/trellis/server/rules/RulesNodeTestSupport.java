package io.trellis.server.rules;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.server.Node;
import io.trellis.server.testsupport.MqttProbes;
import io.trellis.server.testsupport.NodeApi;
import io.trellis.server.testsupport.NodeApi.Answer;
import io.trellis.server.testsupport.TestNodeEnv;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A whole node in-process on ephemeral ports, and a small client for its API. */
final class RulesNodeTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private RulesNodeTestSupport() {
    }

    /** Every bind on 127.0.0.1 port 0, TLS and websocket listeners off, the given data dir and extra env. */
    static Node startNode(Path dir, Path dataDir, Map<String, String> extraEnv) throws Exception {
        Map<String, String> env = TestNodeEnv.loopback("rtest@127.0.0.1", dataDir, 0, 0);
        env.putAll(extraEnv);
        Path conf = dir.resolve("trellis.conf");
        if (!Files.exists(conf)) {
            Files.writeString(conf, "# test node\n");
        }
        Node node = Node.load(conf, env);
        node.start();
        return node;
    }

    static int mqttPort(Node node) {
        return MqttProbes.mqttPort(node);
    }

    static Answer api(Node node, String method, String path, Object body) throws Exception {
        return NodeApi.call(HTTP, node, method, path, body);
    }
}

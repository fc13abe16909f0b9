package io.trellis.server.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.server.Node;
import io.trellis.server.testsupport.TestNodeEnv;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
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
        return node.listeners().get(0).address().getPort();
    }

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static Answer api(Node node, String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (node.localCredential().key() + ":" + node.localCredential().secret()).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json");
        HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body));
        HttpResponse<String> r = HTTP.send(b.method(method, pub).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }
}

package io.trellis.server.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.server.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A small client for a test node's REST API, signed in with the node's local credential. */
public final class NodeApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeApi() {
    }

    /** An API answer: the status and the body. */
    public record Answer(int status, String body) {
        public JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    /** {@code method path} on {@code node}'s API; {@code body} a JSON string, an object to serialize, or null. */
    public static Answer call(HttpClient http, Node node, String method, String path, Object body) throws Exception {
        String basic = node.localCredential().key() + ":" + node.localCredential().secret();
        HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body));
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiAddress().getPort() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").method(method, pub).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }
}

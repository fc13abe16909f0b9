package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.server.api.LocalCredential;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** The management API as {@code trellis ctl} calls it, with the node's local credential. */
final class ApiClient {
    /** An API answer: status and parsed JSON (null for an empty body). */
    record Answer(int status, JsonNode json) {
        String errorMessage() {
            return json != null && json.has("message") ? json.get("message").asText() : "HTTP " + status;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper mapper = new ObjectMapper();
    private final String nodeName;
    private final String hostPort;
    private final LocalCredential credential;
    private final String credentialFile;

    ApiClient(String nodeName, String hostPort, LocalCredential credential, String credentialFile) {
        this.nodeName = nodeName;
        this.hostPort = hostPort;
        this.credential = credential;
        this.credentialFile = credentialFile;
    }

    String nodeName() {
        return nodeName;
    }

    static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Answer get(String path) {
        return send("GET", path);
    }

    Answer delete(String path) {
        return send("DELETE", path);
    }

    /** POST or PUT of a JSON body. */
    Answer sendJson(String method, String path, Object jsonBody) {
        try {
            return send(method, path, mapper.writeValueAsBytes(jsonBody));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException("cannot write the request body: " + e.getOriginalMessage());
        }
    }

    /** POST with a JSON body. */
    Answer post(String path, Object jsonBody) {
        try {
            return send("POST", path, mapper.writeValueAsBytes(jsonBody));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException("cannot write the request body: " + e.getOriginalMessage());
        }
    }

    private Answer send(String method, String path) {
        return send(method, path, null);
    }

    private Answer send(String method, String path, byte[] jsonBody) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + hostPort + path))
                .timeout(Duration.ofSeconds(15)).method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(jsonBody));
        if (jsonBody != null) {
            request.header("Content-Type", "application/json");
        }
        if (credential != null) {
            String basic = credential.key() + ":" + credential.secret();
            request.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpTimeoutException e) {
            throw notRunning();
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw notRunning();
            }
            throw new CliException("node " + nodeName + " on " + hostPort + " did not answer properly: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        if (response.statusCode() == 401) {
            throw new CliException(credential == null
                    ? "cannot read the node's local credential " + credentialFile
                            + " (run ctl as the user that runs the node, with the same node.data_dir)"
                    : "the node on " + hostPort + " refused the local credential in " + credentialFile
                            + " (is it the node of this config? its data_dir must match)");
        }
        JsonNode json = null;
        byte[] body = response.body();
        if (body.length > 0) {
            try {
                json = mapper.readTree(body);
            } catch (IOException e) {
                throw new CliException("node " + nodeName + " answered " + path + " with something that is not JSON");
            }
        }
        return new Answer(response.statusCode(), json);
    }

    /** Fails on any status but 2xx with the API's message. */
    JsonNode ok(Answer answer) {
        if (answer.status() / 100 != 2) {
            throw new CliException(answer.errorMessage());
        }
        return answer.json();
    }

    private CliException notRunning() {
        return new CliException("node " + nodeName + " is not running (no answer on " + hostPort + ")");
    }
}

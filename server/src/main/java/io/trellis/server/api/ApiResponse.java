package io.trellis.server.api;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * What a handler answers: a status and either a value the server serialises as JSON or a body
 * with its content type. Neither = no content.
 */
public record ApiResponse(HttpResponseStatus status, Object json, String contentType, byte[] body) {

    public static ApiResponse json(HttpResponseStatus status, Object value) {
        return new ApiResponse(status, value, null, null);
    }

    public static ApiResponse ok(Object value) {
        return json(HttpResponseStatus.OK, value);
    }

    public static ApiResponse text(HttpResponseStatus status, String contentType, String body) {
        return new ApiResponse(status, null, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static ApiResponse noContent() {
        return new ApiResponse(HttpResponseStatus.NO_CONTENT, null, null, null);
    }
}

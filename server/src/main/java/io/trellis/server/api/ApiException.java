package io.trellis.server.api;

import io.netty.handler.codec.http.HttpResponseStatus;

/** An API error answered as EMQX does: status plus {@code {"code": ..., "message": ...}}. */
public final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;
    private final String code;

    public ApiException(HttpResponseStatus status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "BAD_REQUEST", message);
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(HttpResponseStatus.NOT_FOUND, code, message);
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String code() {
        return code;
    }
}

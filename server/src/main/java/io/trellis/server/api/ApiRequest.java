package io.trellis.server.api;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;

/** One API call as a handler sees it: path parameters already URL-decoded. */
public record ApiRequest(HttpMethod method, String path, Map<String, String> pathParams,
                         Map<String, List<String>> query, byte[] body) {

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    /** The first value of a query parameter, or null. */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A positive integer query parameter, or the default when absent; 400 if not a number in range. */
    public int intParam(String name, int defaultValue, int min, int max) {
        String raw = queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiException.badRequest("query parameter " + name + " must be an integer from " + min + " to " + max);
    }
}

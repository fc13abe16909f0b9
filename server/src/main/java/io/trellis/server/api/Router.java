package io.trellis.server.api;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Maps method + path template ({@code /api/v5/clients/{clientid}}) to a handler. The raw path is
 * split on '/' before each segment is URL-decoded, so a client id holding "%2F" stays one segment.
 */
public final class Router {

    /** One endpoint's logic. */
    @FunctionalInterface
    public interface Handler {
        ApiResponse handle(ApiRequest request) throws Exception;
    }

    private record Route(HttpMethod method, String[] segments, Handler handler) {
    }

    private final List<Route> routes = new ArrayList<>();

    public Router add(HttpMethod method, String template, Handler handler) {
        routes.add(new Route(method, split(template), handler));
        return this;
    }

    /** A matched route with its decoded path parameters. */
    public record Match(Handler handler, Map<String, String> pathParams) {
    }

    /** The matching route; 404 if no template matches the path, 405 if only other methods do. */
    public Match route(HttpMethod method, String rawPath) {
        String[] segments = split(rawPath);
        TreeSet<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            Map<String, String> params = match(route.segments, segments);
            if (params == null) {
                continue;
            }
            if (route.method.equals(method)) {
                return new Match(route.handler, params);
            }
            allowed.add(route.method.name());
        }
        if (!allowed.isEmpty()) {
            throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                    method.name() + " is not allowed on " + rawPath + " (allowed: " + String.join(", ", allowed) + ")");
        }
        throw ApiException.notFound("NOT_FOUND", "no such API endpoint: " + rawPath);
    }

    private static Map<String, String> match(String[] template, String[] path) {
        if (template.length != path.length) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("}")) {
                params.put(t.substring(1, t.length() - 1), QueryStringDecoder.decodeComponent(path[i]));
            } else if (!t.equals(path[i])) {
                return null;
            }
        }
        return params;
    }

    private static String[] split(String path) {
        String trimmed = path;
        while (trimmed.endsWith("/") && trimmed.length() > 1) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        return Arrays.stream(trimmed.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }
}

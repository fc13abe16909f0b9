package io.trellis.rules.action;

import io.trellis.rules.RuleConfigException;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.connector.Failures;
import io.trellis.rules.connector.HttpConnector;
import io.trellis.rules.template.Template;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * EMQX's {@code http} action: renders method, path, headers and body from the rule's output and
 * sends them through its connector. An empty body template sends all selected fields as JSON.
 */
public final class HttpSink implements Sink {

    private static final List<String> METHODS = List.of("post", "put", "get", "delete", "patch");

    private final String method;
    private final Template path;
    private final Map<String, Template> headers;
    private final Template body;
    private final Supplier<HttpConnector> connector;

    /** @param connector the current connector (it may be replaced when the connector is updated) */
    public HttpSink(ActionBody.Parameters params, Supplier<HttpConnector> connector) throws RuleConfigException {
        ActionBody.Parameters p = params == null ? new ActionBody.Parameters(null, null, null, null, null, null, null, null) : params;
        this.method = p.method() == null ? "post" : p.method().toLowerCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw new RuleConfigException("parameters.method", "parameters.method: must be one of " + METHODS + ", got " + p.method());
        }
        this.path = Template.parse(p.path() == null ? "" : p.path());
        Map<String, Template> h = new LinkedHashMap<>();
        if (p.headers() != null) p.headers().forEach((k, v) -> h.put(k, Template.parse(v)));
        this.headers = h;
        this.body = Template.parse(p.body() == null ? "" : p.body());
        this.connector = connector;
    }

    @Override
    public CompletableFuture<Void> send(Map<String, Object> fields) {
        HttpConnector c = connector.get();
        if (c == null) return CompletableFuture.failedFuture(new NotRetryableException("connector is disabled or not running"));
        URI url;
        try {
            url = c.resolve(path.render(fields));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NotRetryableException("rendered path is not a valid URL: " + e.getMessage()));
        }
        Map<String, String> h = new LinkedHashMap<>();
        headers.forEach((k, v) -> h.put(k, v.render(fields)));
        String payload = method.equals("get") || method.equals("delete") ? null : Outputs.payload(body, fields);
        return c.request(method, url, h, payload).thenApply(r -> null);
    }

    @Override
    public boolean isRetryable(Throwable failure) {
        return Sink.super.isRetryable(failure) && Failures.ssrfRefusal(failure) == null;
    }
}

package io.trellis.rules.connector;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslContext;
import io.trellis.config.Units;
import io.trellis.rules.RuleConfigException;
import io.trellis.rules.action.NotRetryableException;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.security.http.OutboundHttpClient;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An HTTP(S) webhook endpoint: EMQX's {@code http} connector, on the shared
 * {@link OutboundHttpClient}. Each new connection dials through the SSRF guard, so only addresses
 * the current SSRF policy allows are ever connected to, whatever DNS answers at that moment.
 *
 * <p>Redirects are <b>not</b> followed: a 3xx answer is a failure that names the Location, so a
 * webhook cannot be bounced to an internal address. Connections are kept alive and pooled:
 * {@code pool_size} bounds how many are open (and so how many requests run at once, the action's
 * inflight window). {@code enable_pipelining} is accepted and ignored: one request at a time per
 * connection. Timeouts: {@code connect_timeout} (default 15s) for a new connection,
 * {@code request_timeout} (default 15s) for the whole exchange.
 */
public final class HttpConnector implements AutoCloseable {

    /** The answer to one request. */
    public record Response(int status, String body) {
    }

    /** A non-2xx answer; 5xx, 408 and 429 are worth retrying. */
    public static final class HttpStatusException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        HttpStatusException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final URI base;
    private final Map<String, String> headers;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int poolSize;
    private final OutboundHttpClient client;
    private final Consumer<ConnectorStatus> statusListener;

    private HttpConnector(URI base, Map<String, String> headers, Duration connectTimeout, Duration requestTimeout,
                          int poolSize, SslContext ssl, boolean verifyHostname, EventLoopGroup group,
                          Supplier<SsrfPolicy> policy, HostResolver resolver, Consumer<ConnectorStatus> statusListener) {
        this.base = base;
        this.headers = headers;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.poolSize = poolSize;
        this.statusListener = statusListener;
        this.client = OutboundHttpClient.builder(policy).hostResolver(resolver).group(group).ssl(ssl)
                .verifyHostname(verifyHostname).poolSize(poolSize).connectTimeout(connectTimeout)
                .connectListener(failure -> statusListener.accept(failure == null
                        ? ConnectorStatus.of(ConnectorStatus.State.CONNECTED)
                        : new ConnectorStatus(ConnectorStatus.State.DISCONNECTED, Failures.describe(failure))))
                .build();
    }

    /**
     * Checks the body's HTTP fields (not the SSRF policy: the engine does that first).
     *
     * @param statusListener told {@code connected} after each answer and {@code disconnected} with
     *     the reason after each failed connect
     */
    public static HttpConnector create(ConnectorBody body, EventLoopGroup group, Supplier<SsrfPolicy> policy,
                                       HostResolver resolver, Consumer<ConnectorStatus> statusListener)
            throws RuleConfigException {
        URI uri = parseUrl(body.url());
        Duration connect = duration("connect_timeout", body.connectTimeout(), Duration.ofSeconds(15));
        Duration request = duration("request_timeout", body.requestTimeout(), Duration.ofSeconds(15));
        int pool = body.poolSize() == null ? 8 : body.poolSize();
        if (pool < 1 || pool > 1024) throw new RuleConfigException("pool_size", "pool_size: must be 1..1024, got " + pool);
        SslContext ssl = ClientTls.context(body.ssl());
        if (ssl == null && uri.getScheme().equalsIgnoreCase("https")) {
            ssl = ClientTls.context(new ConnectorBody.Ssl(true, "verify_peer", null, null));
        }
        boolean verifyHostname = body.ssl() == null || !body.ssl().enabled() || body.ssl().verifyPeer();
        return new HttpConnector(uri, body.headers() == null ? Map.of() : Map.copyOf(body.headers()), connect, request,
                pool, ssl, verifyHostname, group, policy, resolver, statusListener);
    }

    static URI parseUrl(String url) throws RuleConfigException {
        if (url == null || url.isBlank()) throw new RuleConfigException("url", "url: required, e.g. http://example.com:8080/hook");
        try {
            URI uri = new URI(url.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new RuleConfigException("url", "url: scheme must be http or https, got '" + url + "'");
            }
            if (uri.getHost() == null) throw new RuleConfigException("url", "url: no host in '" + url + "'");
            return uri;
        } catch (URISyntaxException e) {
            throw new RuleConfigException("url", "url: not a valid URL: " + e.getMessage());
        }
    }

    static Duration duration(String key, String text, Duration dflt) throws RuleConfigException {
        if (text == null) return dflt;
        try {
            Duration d = Units.parseDuration(text, false);
            if (d.isZero() || d.isNegative()) throw new IllegalArgumentException("must be positive");
            return d;
        } catch (IllegalArgumentException e) {
            throw new RuleConfigException(key, key + ": " + e.getMessage() + "; write e.g. \"15s\" or \"500ms\"");
        }
    }

    public int poolSize() {
        return poolSize;
    }

    public URI base() {
        return base;
    }

    /** The connector's url with an action's path appended (EMQX joins them with one slash). */
    public URI resolve(String path) {
        if (path == null || path.isEmpty()) return base;
        String b = base.toString();
        String joined = b.endsWith("/") || path.startsWith("/") ? b + (b.endsWith("/") && path.startsWith("/") ? path.substring(1) : path)
                : b + "/" + path;
        return URI.create(joined);
    }

    /** Dials the endpoint (through the SSRF guard) and hangs up: the connector health check. */
    public CompletableFuture<Void> probe() {
        return client.probe(base, connectTimeout);
    }

    /**
     * Sends one request and completes with the response when it is 2xx. Fails with
     * {@link NotRetryableException} for a 3xx (not followed) or a 4xx other than 408 and 429,
     * with {@link HttpStatusException} for other statuses, and with the connect or timeout error.
     */
    public CompletableFuture<Response> request(String method, URI url, Map<String, String> extraHeaders, String body) {
        if (!url.getHost().equalsIgnoreCase(base.getHost()) || port(url) != port(base)) {
            return CompletableFuture.failedFuture(
                    new NotRetryableException("request URL " + url.getHost() + " is not the connector's host"));
        }
        Map<String, String> all = new LinkedHashMap<>();
        all.put("content-type", "application/json");
        headers.forEach((k, v) -> all.put(k.toLowerCase(Locale.ROOT), v));
        extraHeaders.forEach((k, v) -> all.put(k.toLowerCase(Locale.ROOT), v));
        CompletableFuture<Response> done = new CompletableFuture<>();
        client.request(method, url, all, body, requestTimeout).whenComplete((res, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                done.completeExceptionally(cause instanceof TimeoutException
                        ? new TimeoutException("no response within request_timeout " + Units.formatDuration(requestTimeout))
                        : cause);
                return;
            }
            statusListener.accept(ConnectorStatus.of(ConnectorStatus.State.CONNECTED));
            int status = res.status();
            String reason = io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase();
            if (status >= 200 && status < 300) {
                done.complete(new Response(status, res.body()));
            } else if (status >= 300 && status < 400) {
                done.completeExceptionally(new NotRetryableException("HTTP " + status + ": redirects are not followed (Location: "
                        + res.header(HttpHeaderNames.LOCATION) + "); point the connector url at the final address"));
            } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
                done.completeExceptionally(new NotRetryableException("HTTP " + status + " " + reason));
            } else {
                done.completeExceptionally(new HttpStatusException(status, "HTTP " + status + " " + reason));
            }
        });
        return done;
    }

    /** Closes the pooled connections (the connector is stopped or replaced). */
    @Override
    public void close() {
        client.close();
    }

    static int port(URI uri) {
        if (uri.getPort() > 0) return uri.getPort();
        return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }
}

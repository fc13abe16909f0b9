package io.trellis.rules.connector;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.trellis.config.Units;
import io.trellis.rules.RuleConfigException;
import io.trellis.rules.action.NotRetryableException;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.security.ssrf.SsrfAddressResolverGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An HTTP(S) webhook endpoint: EMQX's {@code http} connector. Each request dials through the
 * {@link SsrfAddressResolverGroup}, so only addresses the current SSRF policy allows are ever
 * connected to, whatever DNS answers at that moment.
 *
 * <p>Redirects are <b>not</b> followed: a 3xx answer is a failure that names the Location, so a
 * webhook cannot be bounced to an internal address. One connection per request
 * ({@code Connection: close}); {@code pool_size} bounds how many run at once (the action's
 * inflight window). Timeouts: {@code connect_timeout} (default 15s), {@code request_timeout}
 * (default 15s) for the whole exchange.
 */
public final class HttpConnector {

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

    private static final int MAX_RESPONSE_BYTES = 1024 * 1024;

    private final URI base;
    private final Map<String, String> headers;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int poolSize;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final SsrfAddressResolverGroup resolver;
    private final Consumer<ConnectorStatus> statusListener;

    private HttpConnector(URI base, Map<String, String> headers, Duration connectTimeout, Duration requestTimeout,
                          int poolSize, SslContext ssl, EventLoopGroup group, SsrfAddressResolverGroup resolver,
                          Consumer<ConnectorStatus> statusListener) {
        this.base = base;
        this.headers = headers;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.poolSize = poolSize;
        this.ssl = ssl;
        this.group = group;
        this.resolver = resolver;
        this.statusListener = statusListener;
    }

    /**
     * Checks the body's HTTP fields (not the SSRF policy: the engine does that first).
     *
     * @param statusListener told {@code connected} after each answer and {@code disconnected} with
     *     the reason after each failed connect
     */
    public static HttpConnector create(ConnectorBody body, EventLoopGroup group, SsrfAddressResolverGroup resolver,
                                       Consumer<ConnectorStatus> statusListener) throws RuleConfigException {
        URI uri = parseUrl(body.url());
        Duration connect = duration("connect_timeout", body.connectTimeout(), Duration.ofSeconds(15));
        Duration request = duration("request_timeout", body.requestTimeout(), Duration.ofSeconds(15));
        int pool = body.poolSize() == null ? 8 : body.poolSize();
        if (pool < 1 || pool > 1024) throw new RuleConfigException("pool_size", "pool_size: must be 1..1024, got " + pool);
        SslContext ssl = ClientTls.context(body.ssl());
        if (ssl == null && uri.getScheme().equalsIgnoreCase("https")) {
            ssl = ClientTls.context(new ConnectorBody.Ssl(true, "verify_peer", null, null));
        }
        return new HttpConnector(uri, body.headers() == null ? Map.of() : Map.copyOf(body.headers()), connect, request,
                pool, ssl, group, resolver, statusListener);
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
        CompletableFuture<Void> done = new CompletableFuture<>();
        ChannelFuture f = bootstrap(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
            }
        }).connect(InetSocketAddress.createUnresolved(base.getHost(), port(base)));
        f.addListener((ChannelFuture cf) -> {
            if (cf.isSuccess()) {
                cf.channel().close();
                statusListener.accept(ConnectorStatus.of(ConnectorStatus.State.CONNECTED));
                done.complete(null);
            } else {
                statusListener.accept(new ConnectorStatus(ConnectorStatus.State.DISCONNECTED, Failures.describe(cf.cause())));
                done.completeExceptionally(cf.cause());
            }
        });
        return done;
    }

    /**
     * Sends one request and completes with the response when it is 2xx. Fails with
     * {@link NotRetryableException} for a 3xx (not followed) or a 4xx other than 408 and 429,
     * with {@link HttpStatusException} for other statuses, and with the connect or timeout error.
     */
    public CompletableFuture<Response> request(String method, URI url, Map<String, String> extraHeaders, String body) {
        CompletableFuture<Response> done = new CompletableFuture<>();
        if (!url.getHost().equalsIgnoreCase(base.getHost()) || port(url) != port(base)) {
            done.completeExceptionally(new NotRetryableException("request URL " + url.getHost() + " is not the connector's host"));
            return done;
        }
        FullHttpRequest req = buildRequest(method, url, extraHeaders, body);
        ChannelFuture connect = bootstrap(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (ssl != null) ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), url.getHost(), port(url)));
                ch.pipeline().addLast("http", new HttpClientCodec());
                ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
                ch.pipeline().addLast("response", new ResponseHandler(done));
            }
        }).connect(InetSocketAddress.createUnresolved(url.getHost(), port(url)));
        connect.addListener((ChannelFuture cf) -> {
            if (!cf.isSuccess()) {
                req.release();
                statusListener.accept(new ConnectorStatus(ConnectorStatus.State.DISCONNECTED, Failures.describe(cf.cause())));
                done.completeExceptionally(cf.cause());
                return;
            }
            statusListener.accept(ConnectorStatus.of(ConnectorStatus.State.CONNECTED));
            Channel ch = cf.channel();
            var timeout = ch.eventLoop().schedule(() -> {
                done.completeExceptionally(new java.util.concurrent.TimeoutException(
                        "no response within request_timeout " + Units.formatDuration(requestTimeout)));
                ch.close();
            }, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            done.whenComplete((r, e) -> {
                timeout.cancel(false);
                ch.close();
            });
            ch.writeAndFlush(req).addListener(w -> {
                if (!w.isSuccess()) done.completeExceptionally(w.cause());
            });
        });
        return done;
    }

    private FullHttpRequest buildRequest(String method, URI url, Map<String, String> extraHeaders, String body) {
        ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) target += "?" + url.getRawQuery();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)), target, content);
        int port = port(url);
        boolean defaultPort = port == (url.getScheme().equalsIgnoreCase("https") ? 443 : 80);
        req.headers().set(HttpHeaderNames.HOST, defaultPort ? url.getHost() : url.getHost() + ":" + port);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        headers.forEach((k, v) -> req.headers().set(k, v));
        extraHeaders.forEach((k, v) -> req.headers().set(k, v));
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return req;
    }

    private Bootstrap bootstrap(ChannelInitializer<SocketChannel> init) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class).resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(init);
    }

    static int port(URI uri) {
        if (uri.getPort() > 0) return uri.getPort();
        return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<Response> done;

        ResponseHandler(CompletableFuture<Response> done) {
            this.done = done;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            int status = res.status().code();
            String body = res.content().toString(StandardCharsets.UTF_8);
            if (status >= 200 && status < 300) {
                done.complete(new Response(status, body));
            } else if (status >= 300 && status < 400) {
                done.completeExceptionally(new NotRetryableException("HTTP " + status + ": redirects are not followed (Location: "
                        + res.headers().get(HttpHeaderNames.LOCATION) + "); point the connector url at the final address"));
            } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
                done.completeExceptionally(new NotRetryableException("HTTP " + status + " " + res.status().reasonPhrase()));
            } else {
                done.completeExceptionally(new HttpStatusException(status, "HTTP " + status + " " + res.status().reasonPhrase()));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new java.io.IOException("connection closed before a response"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}

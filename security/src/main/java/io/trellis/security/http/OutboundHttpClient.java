package io.trellis.security.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfAddressResolverGroup;
import io.trellis.security.ssrf.SsrfDecision;
import io.trellis.security.ssrf.SsrfGuard;
import io.trellis.security.ssrf.SsrfPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Trellis's one asynchronous HTTP(S) client for outbound calls: the rule engine's webhook
 * connector, the HTTP authentication and authorization backends and the JWKS fetch. Every new
 * connection goes through {@link SsrfAddressResolverGroup}, so the current SSRF policy
 * ({@code rule_engine.ssrf}) is enforced against the address actually dialled, whatever DNS
 * answers then; {@link #checkUrl} is the configuration-time check with EMQX's texts.
 *
 * <p>Connections are kept alive in a bounded pool per origin (scheme, host, port): at most
 * {@code pool_size} open at once, one request at a time on each (no pipelining), idle ones
 * closed after {@value #IDLE_MILLIS} ms. A pooled connection is reused only for its own origin
 * and only while the SSRF policy it was checked under is still the current one: a policy change
 * closes the idle connections at the next request, and an in-use one when it comes back.
 *
 * <p>Why reuse by (host, port) is safe against DNS rebinding: rebinding needs a <i>new</i>
 * look-up to reach an address nobody checked. A pooled connection is already connected to an
 * address that was resolved once and checked under the current policy; reusing it dials
 * nothing. When the name later resolves elsewhere, the next new connection resolves and checks
 * again, and is refused if the new address is denied.
 *
 * <p>Redirects are never followed (a 3xx is returned as it is). HTTPS verifies the server
 * certificate and, unless turned off by the caller's {@code verify_none}, the host name (against
 * the JDK's trust store unless a client context is given). Response bodies are capped at
 * {@value #MAX_RESPONSE_BYTES} bytes.
 *
 * <p>Nothing here logs a request: bodies and headers may carry passwords.
 */
public final class OutboundHttpClient implements AutoCloseable {

  public static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  /** EMQX's {@code pool_size} default for HTTP connectors and backends. */
  public static final int DEFAULT_POOL_SIZE = 8;

  /**
   * How long an unused connection is kept: below common server idle timeouts (the JDK's
   * HttpServer 30 s, nginx 75 s), so that a server seldom closes one just as it is reused.
   */
  static final long IDLE_MILLIS = 20_000;

  /** The SSRF policy a connection was checked under when it was made. */
  private static final AttributeKey<SsrfPolicy> CHECKED_UNDER =
      AttributeKey.valueOf("trellis.http.ssrfPolicy");

  /** A response with any status (redirects included, never followed). */
  public record Response(int status, String body, HttpHeaders headers) {
    public Response(int status, String body) {
      this(status, body, EmptyHttpHeaders.INSTANCE);
    }

    public boolean success() {
      return status >= 200 && status < 300;
    }

    /** A response header, or null. */
    public String header(CharSequence name) {
      return headers.get(name);
    }
  }

  /** The origin a pool serves: a connection is reused only for the same one. */
  private record Origin(boolean https, String host, int port) {
    static Origin of(URI url) {
      boolean https = url.getScheme().equalsIgnoreCase("https");
      String host = url.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Origin(https, host.toLowerCase(Locale.ROOT),
          url.getPort() > 0 ? url.getPort() : https ? 443 : 80);
    }
  }

  private final Supplier<SsrfPolicy> policy;
  private final HostResolver hostResolver;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final SsrfAddressResolverGroup resolver;
  private final SslContext ssl;
  private final boolean verifyHostname;
  private final int poolSize;
  private final Duration connectTimeout;
  private final Consumer<Throwable> connectListener;
  private final Map<Origin, ConnectionPool> pools = new ConcurrentHashMap<>();
  private final AtomicReference<SsrfPolicy> policySeen = new AtomicReference<>();
  private volatile boolean closed;

  /**
   * @param policy read at every check and connect, so a change in an
   *     {@link io.trellis.security.ssrf.SsrfPolicyHolder} applies to the next request
   * @param group the event loop to run on, or {@code null} for a private single thread this
   *     client shuts down on {@link #close()}
   */
  public OutboundHttpClient(Supplier<SsrfPolicy> policy, HostResolver hostResolver,
      EventLoopGroup group) {
    this(policy, hostResolver, group, null);
  }

  /**
   * @param ssl the client TLS context for https URLs (e.g. trusting a private CA), or
   *     {@code null} for the JDK's trust store; host names are verified either way
   */
  public OutboundHttpClient(Supplier<SsrfPolicy> policy, HostResolver hostResolver,
      EventLoopGroup group, SslContext ssl) {
    this(builder(policy).hostResolver(hostResolver).group(group).ssl(ssl));
  }

  private OutboundHttpClient(Builder b) {
    this.policy = Objects.requireNonNull(b.policy, "policy");
    this.hostResolver = Objects.requireNonNull(b.hostResolver, "hostResolver");
    this.ownsGroup = b.group == null;
    this.group = b.group != null ? b.group
        : new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.resolver = new SsrfAddressResolverGroup(new SsrfGuard(policy, hostResolver));
    try {
      this.ssl = b.ssl != null ? b.ssl : SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for outbound HTTPS", e);
    }
    if (!this.ssl.isClient()) {
      throw new IllegalArgumentException("ssl: a client TLS context is needed");
    }
    this.verifyHostname = b.verifyHostname;
    this.poolSize = b.poolSize;
    this.connectTimeout = b.connectTimeout;
    this.connectListener = b.connectListener;
  }

  /** A client with its own event loop thread and the system DNS resolver. */
  public static OutboundHttpClient create(Supplier<SsrfPolicy> policy) {
    return new OutboundHttpClient(policy, HostResolver.system(), null);
  }

  /** For settings beyond the constructors': pool size, connect timeout, connect listener. */
  public static Builder builder(Supplier<SsrfPolicy> policy) {
    return new Builder(policy);
  }

  /** Settings of a client; defaults as {@link #create}. */
  public static final class Builder {
    private final Supplier<SsrfPolicy> policy;
    private HostResolver hostResolver = HostResolver.system();
    private EventLoopGroup group;
    private SslContext ssl;
    private boolean verifyHostname = true;
    private int poolSize = DEFAULT_POOL_SIZE;
    private Duration connectTimeout;
    private Consumer<Throwable> connectListener = e -> { };

    private Builder(Supplier<SsrfPolicy> policy) {
      this.policy = policy;
    }

    public Builder hostResolver(HostResolver r) {
      this.hostResolver = r;
      return this;
    }

    /** The event loop to run on; {@code null} (the default) for a private thread. */
    public Builder group(EventLoopGroup g) {
      this.group = g;
      return this;
    }

    /** The client TLS context for https, or {@code null} for the JDK's trust store. */
    public Builder ssl(SslContext s) {
      this.ssl = s;
      return this;
    }

    /** Off only for EMQX's {@code verify = verify_none}. */
    public Builder verifyHostname(boolean on) {
      this.verifyHostname = on;
      return this;
    }

    /** Connections per origin (EMQX's {@code pool_size}), 1..1024. */
    public Builder poolSize(int n) {
      if (n < 1 || n > 1024) {
        throw new IllegalArgumentException("pool_size: must be 1..1024, got " + n);
      }
      this.poolSize = n;
      return this;
    }

    /** The TCP connect bound; {@code null} (the default): the request's own timeout. */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    /** Told {@code null} after each new connection and the cause after each failed connect. */
    public Builder connectListener(Consumer<Throwable> l) {
      this.connectListener = Objects.requireNonNull(l, "listener");
      return this;
    }

    public OutboundHttpClient build() {
      return new OutboundHttpClient(this);
    }
  }

  /** The group requests and timers run on (the JWKS refresh schedules on it too). */
  public EventLoopGroup group() {
    return group;
  }

  /**
   * True on one of this client's own event loop threads, where waiting for a response would
   * deadlock (the response is read by that same thread): synchronous callers check this first.
   */
  public boolean onOwnEventLoop() {
    for (io.netty.util.concurrent.EventExecutor e : group) {
      if (e.inEventLoop()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The configuration-time check of an endpoint: a well-formed http or https URL that the current
   * SSRF policy allows. Returns the parsed URL.
   *
   * @throws IllegalArgumentException naming {@code key}, with the policy's (EMQX's) text
   */
  public URI checkUrl(String key, String url) {
    URI uri = parseUrl(key, url);
    SsrfDecision decision = policy.get().checkUrl(url, hostResolver);
    if (!decision.passes()) {
      String fix = decision instanceof SsrfDecision.Denied d
          ? " (the SSRF policy refuses it; to allow it, change " + d.key() + ")"
          : "";
      throw new IllegalArgumentException(key + ": " + decision.message() + fix);
    }
    return uri;
  }

  /** Parses an http(s) URL with a host, or says what is wrong with it. */
  public static URI parseUrl(String key, String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(key + ": missing; give an http:// or https:// URL");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(key + ": not a valid URL (" + e.getReason()
          + "); give an http:// or https:// URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(key + ": scheme must be http or https, got '"
          + uri.getScheme() + "'");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException(key + ": the URL has no host");
    }
    return uri;
  }

  /**
   * Sends one request on a pooled connection (a new one, checked by the SSRF guard, when none is
   * idle). Completes with the response (any status), or exceptionally with the connect error
   * ({@link io.trellis.security.ssrf.SsrfRefusedException} when the policy refuses the address),
   * an I/O error, or a {@link TimeoutException} after {@code timeout} (waiting for a connection,
   * connect and response together).
   */
  public CompletableFuture<Response> request(String method, URI url, Map<String, String> headers,
      String body, Duration timeout) {
    CompletableFuture<Response> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the HTTP client is closed"));
      return done;
    }
    closeIdleIfPolicyChanged();
    Origin origin = Origin.of(url);
    FullHttpRequest req = buildRequest(method, url, origin, headers, body);
    boolean keepAfter = HttpUtil.isKeepAlive(req); // false when the caller sent "connection: close"
    var timer = group.next().schedule(
        () -> done.completeExceptionally(new TimeoutException("no response from " + url.getHost()
            + " within " + timeout.toMillis() + " ms")),
        timeout.toMillis(), TimeUnit.MILLISECONDS);
    ConnectionPool pool = pool(origin, connectTimeout != null ? connectTimeout : timeout);
    CompletableFuture<Channel> acquired = pool.acquire();
    acquired.whenComplete((ch, err) -> {
      if (err != null) {
        req.release();
        done.completeExceptionally(err);
        return;
      }
      Exchange exchange = ch.pipeline().get(Exchange.class);
      if (done.isDone() || exchange == null) { // gave up while waiting for this connection
        req.release();
        pool.release(ch, exchange != null);
        return;
      }
      exchange.start(done);
      done.whenComplete((r, e) -> pool.release(ch, e == null && keepAfter && exchange.keepAlive()));
      ch.writeAndFlush(req).addListener(w -> {
        if (!w.isSuccess()) {
          done.completeExceptionally(w.cause());
        }
      });
    });
    done.whenComplete((r, e) -> {
      timer.cancel(false);
      acquired.cancel(false); // no-op once a connection was handed over
    });
    return done;
  }

  /**
   * Dials {@code url}'s origin through the SSRF guard and hangs up: a health check that never
   * touches the pool. Completes when the connection was made.
   */
  public CompletableFuture<Void> probe(URI url, Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Origin origin = Origin.of(url);
    bootstrap(timeout).handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
      }
    }).connect(InetSocketAddress.createUnresolved(origin.host(), origin.port()))
        .addListener((ChannelFuture cf) -> {
          connectListener.accept(cf.isSuccess() ? null : cf.cause());
          if (cf.isSuccess()) {
            cf.channel().close();
            done.complete(null);
          } else {
            done.completeExceptionally(cf.cause());
          }
        });
    return done;
  }

  /** Connections open or being opened to {@code url}'s origin (for tests and metrics). */
  public int openConnections(URI url) {
    ConnectionPool p = pools.get(Origin.of(url));
    return p == null ? 0 : p.openCount();
  }

  /** Idle pooled connections to {@code url}'s origin. */
  public int idleConnections(URI url) {
    ConnectionPool p = pools.get(Origin.of(url));
    return p == null ? 0 : p.idleCount();
  }

  private ConnectionPool pool(Origin origin, Duration connect) {
    return pools.computeIfAbsent(origin, o -> new ConnectionPool(poolSize, IDLE_MILLIS,
        ch -> ch.attr(CHECKED_UNDER).get() == policy.get(),
        () -> dial(o, connect)));
  }

  /** A new connection: resolved and checked by the SSRF guard as the Bootstrap connects. */
  private ChannelFuture dial(Origin origin, Duration connect) {
    ChannelFuture f = bootstrap(connect).handler(new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        // read before the guard reads it: a change in between only closes it early
        ch.attr(CHECKED_UNDER).set(policy.get());
        if (origin.https()) {
          SslHandler tls = ssl.newHandler(ch.alloc(), origin.host(), origin.port());
          if (verifyHostname) {
            SSLEngine engine = tls.engine();
            SSLParameters params = engine.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
          }
          ch.pipeline().addLast("tls", tls);
        }
        ch.pipeline().addLast("http", new HttpClientCodec());
        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
        ch.pipeline().addLast("response", new Exchange());
      }
    }).connect(InetSocketAddress.createUnresolved(origin.host(), origin.port()));
    f.addListener((ChannelFuture cf) -> connectListener.accept(cf.isSuccess() ? null : cf.cause()));
    return f;
  }

  private Bootstrap bootstrap(Duration connect) {
    return new Bootstrap().group(group).channel(NioSocketChannel.class).resolver(resolver)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.max(1, Math.min(Integer.MAX_VALUE, connect.toMillis())));
  }

  /** A new SSRF policy: idle connections were checked under the old one, so they go. */
  private void closeIdleIfPolicyChanged() {
    SsrfPolicy now = policy.get();
    SsrfPolicy seen = policySeen.get();
    if (now != seen && policySeen.compareAndSet(seen, now) && seen != null) {
      pools.values().forEach(ConnectionPool::closeIdle);
    }
  }

  private static FullHttpRequest buildRequest(String method, URI url, Origin origin,
      Map<String, String> headers, String body) {
    ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER
        : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      target += "?" + url.getRawQuery();
    }
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)), target, content);
    boolean defaultPort = origin.port() == (origin.https() ? 443 : 80);
    req.headers().set(HttpHeaderNames.HOST,
        defaultPort ? url.getHost() : url.getHost() + ":" + origin.port());
    headers.forEach((k, v) -> req.headers().set(k, v));
    req.headers().set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    // HTTP/1.1 keeps the connection by default: no "connection" header unless the caller sets one.
    return req;
  }

  @Override
  public void close() {
    closed = true;
    pools.values().forEach(ConnectionPool::close);
    if (ownsGroup) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * The response side of one connection: completes the exchange in progress. One request at a
   * time per connection, so there is at most one.
   */
  private static final class Exchange extends SimpleChannelInboundHandler<FullHttpResponse> {
    private volatile CompletableFuture<Response> current;
    private volatile boolean keepAlive;

    void start(CompletableFuture<Response> done) {
      keepAlive = false;
      current = done;
    }

    /** Whether the last response left the connection reusable. */
    boolean keepAlive() {
      return keepAlive;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
      CompletableFuture<Response> done = current;
      current = null;
      if (done == null) { // an answer nobody asked for: the connection is out of step
        ctx.close();
        return;
      }
      keepAlive = HttpUtil.isKeepAlive(res);
      done.complete(new Response(res.status().code(),
          res.content().toString(StandardCharsets.UTF_8), res.headers().copy()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      CompletableFuture<Response> done = current;
      if (done != null) {
        done.completeExceptionally(new IOException("connection closed before a response"));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      CompletableFuture<Response> done = current;
      if (done != null) {
        done.completeExceptionally(cause);
      }
      ctx.close();
    }
  }
}

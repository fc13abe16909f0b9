package io.trellis.security.authn;

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
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * The small asynchronous HTTP(S) client of the HTTP authentication and authorization backends and
 * of the JWKS fetch. Every connect goes through {@link SsrfAddressResolverGroup}, so the current
 * SSRF policy ({@code rule_engine.ssrf}) is enforced at each request, whatever DNS answers then;
 * {@link #checkUrl} is the configuration-time check with EMQX's texts.
 *
 * <p>One request per connection ({@code Connection: close}): authentication is not a hot path
 * worth a pool yet. Redirects are never followed (a 3xx is returned as it is). HTTPS verifies the
 * server certificate and host name (against the JDK's trust store unless a client context is
 * given). Response bodies are capped at
 * {@value #MAX_RESPONSE_BYTES} bytes.
 *
 * <p>Nothing here logs a request: bodies and headers may carry passwords.
 */
public final class OutboundHttpClient implements AutoCloseable {

  public static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  /** A response with any status (redirects included, never followed). */
  public record Response(int status, String body) {
    public boolean success() {
      return status >= 200 && status < 300;
    }
  }

  private final Supplier<SsrfPolicy> policy;
  private final HostResolver hostResolver;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final SsrfAddressResolverGroup resolver;
  private final SslContext ssl;

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
    this.policy = Objects.requireNonNull(policy, "policy");
    this.hostResolver = Objects.requireNonNull(hostResolver, "hostResolver");
    this.ownsGroup = group == null;
    this.group = group != null ? group
        : new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.resolver = new SsrfAddressResolverGroup(new SsrfGuard(policy, hostResolver));
    try {
      this.ssl = ssl != null ? ssl : SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for outbound HTTPS", e);
    }
    if (!this.ssl.isClient()) {
      throw new IllegalArgumentException("ssl: a client TLS context is needed");
    }
  }

  /** A client with its own event loop thread and the system DNS resolver. */
  public static OutboundHttpClient create(Supplier<SsrfPolicy> policy) {
    return new OutboundHttpClient(policy, HostResolver.system(), null);
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
   * Sends one request. Completes with the response (any status), or exceptionally with the
   * connect error ({@link io.trellis.security.ssrf.SsrfRefusedException} when the policy refuses
   * the address), an I/O error, or a {@link TimeoutException} after {@code timeout} (connect and
   * response together).
   */
  public CompletableFuture<Response> request(String method, URI url, Map<String, String> headers,
      String body, Duration timeout) {
    CompletableFuture<Response> done = new CompletableFuture<>();
    boolean https = url.getScheme().equalsIgnoreCase("https");
    int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    String host = url.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String sniHost = host;
    FullHttpRequest req = buildRequest(method, url, port, https, headers, body);
    var timer = group.next().schedule(
        () -> done.completeExceptionally(new TimeoutException("no response from " + url.getHost()
            + " within " + timeout.toMillis() + " ms")),
        timeout.toMillis(), TimeUnit.MILLISECONDS);
    ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .resolver(resolver)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (https) {
              SslHandler tls = ssl.newHandler(ch.alloc(), sniHost, port);
              SSLEngine engine = tls.engine();
              SSLParameters params = engine.getSSLParameters();
              params.setEndpointIdentificationAlgorithm("HTTPS");
              engine.setSSLParameters(params);
              ch.pipeline().addLast("tls", tls);
            }
            ch.pipeline().addLast("http", new HttpClientCodec());
            ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE_BYTES));
            ch.pipeline().addLast("response", new ResponseHandler(done));
          }
        })
        .connect(InetSocketAddress.createUnresolved(host, port));
    connect.addListener((ChannelFuture cf) -> {
      if (!cf.isSuccess()) {
        req.release();
        done.completeExceptionally(cf.cause());
        return;
      }
      Channel ch = cf.channel();
      done.whenComplete((r, e) -> ch.close());
      ch.writeAndFlush(req).addListener(w -> {
        if (!w.isSuccess()) {
          done.completeExceptionally(w.cause());
        }
      });
    });
    done.whenComplete((r, e) -> {
      timer.cancel(false);
      if (!connect.isDone()) {
        connect.cancel(false);
      }
    });
    return done;
  }

  private static FullHttpRequest buildRequest(String method, URI url, int port, boolean https,
      Map<String, String> headers, String body) {
    ByteBuf content = body == null ? Unpooled.EMPTY_BUFFER
        : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      target += "?" + url.getRawQuery();
    }
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)), target, content);
    boolean defaultPort = port == (https ? 443 : 80);
    req.headers().set(HttpHeaderNames.HOST,
        defaultPort ? url.getHost() : url.getHost() + ":" + port);
    headers.forEach((k, v) -> req.headers().set(k, v));
    req.headers().set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return req;
  }

  @Override
  public void close() {
    if (ownsGroup) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final CompletableFuture<Response> done;

    ResponseHandler(CompletableFuture<Response> done) {
      this.done = done;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
      done.complete(new Response(res.status().code(),
          res.content().toString(StandardCharsets.UTF_8)));
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.completeExceptionally(new IOException("connection closed before a response"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(cause);
      ctx.close();
    }
  }
}

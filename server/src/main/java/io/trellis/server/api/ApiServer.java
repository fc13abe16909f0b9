package io.trellis.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.mqtt.transport.EventLoops;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management API's HTTP listener ({@code dashboard.listeners.http}). Every request needs
 * HTTP basic auth with an API key; bodies are capped at {@link #MAX_BODY_BYTES}.
 */
public final class ApiServer implements AutoCloseable {
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final int IDLE_SECONDS = 60;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    private final ManagementApi api;
    private final ApiKeys keys;
    /** Size of the pool the endpoints run on. */
    static final int HANDLER_THREADS = 4;
    private EventLoopGroup group;
    /**
     * Endpoints run here, not on the I/O loop: a cluster join may wait seconds for its outcome. Each
     * connection hands its requests to one executor of the group (so pipelined answers keep their
     * order); the handler itself stays on the I/O loop, so closing never needs a stopped executor.
     */
    private EventExecutorGroup handlers;
    private Channel channel;

    public ApiServer(ManagementApi api, ApiKeys keys) {
        this.api = api;
        this.keys = keys;
    }

    /** Binds; IllegalStateException naming the listener and address if it cannot. */
    public InetSocketAddress start(InetSocketAddress bind) {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("trellis-api"), NioIoHandler.newFactory());
        handlers = new DefaultEventExecutorGroup(HANDLER_THREADS, new DefaultThreadFactory("trellis-api-handler"));
        try {
            channel = new ServerBootstrap().group(group).channelFactory(EventLoops.nioServerChannelFactory(bind))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // An idle or stalled API connection is dropped rather than held forever.
                            ch.pipeline().addLast("idle", new ReadTimeoutHandler(IDLE_SECONDS))
                                    .addLast("http", new HttpServerCodec())
                                    .addLast("keepalive", new HttpServerKeepAliveHandler())
                                    .addLast("aggregator", new HttpObjectAggregator(MAX_BODY_BYTES))
                                    .addLast("api", new ApiHandler());
                        }
                    })
                    .bind(bind).syncUninterruptibly().channel();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("listener dashboard:http could not bind " + bind.getHostString() + ":"
                    + bind.getPort() + ": " + e.getMessage() + " (change dashboard.listeners.http.bind)", e);
        }
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
            channel = null;
        }
        // Endpoints first, while the I/O loop can still take their answers; then the loop, which
        // closes the connections left.
        if (handlers != null) {
            handlers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            handlers = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
    }

    private final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private EventExecutor worker;

        ApiHandler() {
            super(false); // the request is released by the worker that answers it
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            worker = handlers.next();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            try {
                worker.execute(() -> {
                    try {
                        respond(ctx, request);
                    } finally {
                        request.release();
                    }
                });
            } catch (RejectedExecutionException stopping) {
                request.release();
                ctx.close();
            }
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response = answer(request);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private FullHttpResponse answer(FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                return error(new ApiException(HttpResponseStatus.BAD_REQUEST, "BAD_REQUEST", "malformed HTTP request"));
            }
            if (!keys.acceptsBasicAuth(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                FullHttpResponse r = error(new ApiException(HttpResponseStatus.UNAUTHORIZED, "BAD_API_KEY_OR_SECRET",
                        "Check api_key/api_secret"));
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"trellis\"");
                return r;
            }
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            try {
                Router.Match match = api.router().route(request.method(), uri.rawPath());
                ApiRequest apiRequest = new ApiRequest(request.method(), uri.rawPath(), match.pathParams(),
                        uri.parameters(), ByteBufUtil.getBytes(request.content()));
                return toHttp(match.handler().handle(apiRequest));
            } catch (ApiException e) {
                return error(e);
            } catch (Exception e) {
                LOG.error("API {} {} failed", request.method(), uri.rawPath(), e);
                return error(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                        "internal error; see the node's log"));
            }
        }

        private FullHttpResponse toHttp(ApiResponse r) throws Exception {
            byte[] body = r.body();
            String type = r.contentType();
            if (r.json() != null) {
                body = api.mapper().writeValueAsBytes(r.json());
                type = HttpHeaderValues.APPLICATION_JSON.toString();
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                    body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            if (type != null) {
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            }
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.length);
            return response;
        }

        private FullHttpResponse error(ApiException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("code", e.code());
            body.put("message", e.getMessage());
            try {
                return toHttp(ApiResponse.json(e.status(), body));
            } catch (Exception impossible) {
                throw new IllegalStateException(impossible);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ReadTimeoutException lands here too: the connection was idle.
            LOG.debug("API connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }

    static ObjectMapper defaultMapper() {
        return new ObjectMapper();
    }
}

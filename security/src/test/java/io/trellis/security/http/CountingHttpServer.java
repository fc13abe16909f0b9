package io.trellis.security.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 keep-alive server on 127.0.0.1 and a random port that counts the connections it
 * accepts, can hold answers back (to fill a pool) and can close every connection (as a server's
 * idle timeout does).
 */
final class CountingHttpServer implements AutoCloseable {

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final List<ChannelHandlerContext> held = new CopyOnWriteArrayList<>();
  private volatile boolean hold;
  private volatile boolean closeAfterAnswer;
  private final Channel server;

  CountingHttpServer() throws InterruptedException {
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.incrementAndGet();
            open.add(ch);
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                    requests.incrementAndGet();
                    if (hold) {
                      held.add(ctx);
                    } else {
                      answer(ctx);
                    }
                  }
                });
          }
        })
        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  int connections() {
    return connections.get();
  }

  int requests() {
    return requests.get();
  }

  int openConnections() {
    return open.size();
  }

  int held() {
    return held.size();
  }

  /** Hold answers back until {@link #releaseHeld}. */
  void hold(boolean on) {
    hold = on;
  }

  /** Answer with {@code Connection: close} and hang up. */
  void closeAfterAnswer(boolean on) {
    closeAfterAnswer = on;
  }

  void releaseHeld() {
    hold = false;
    for (ChannelHandlerContext ctx : held) {
      held.remove(ctx);
      answer(ctx);
    }
  }

  /** Closes every accepted connection, as an idle timeout on the server would. */
  void closeConnections() {
    open.close().syncUninterruptibly();
  }

  private void answer(ChannelHandlerContext ctx) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.copiedBuffer("ok", StandardCharsets.UTF_8));
    res.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
    if (closeAfterAnswer) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(res).addListener(f -> ctx.close());
    } else {
      ctx.writeAndFlush(res);
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    open.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}

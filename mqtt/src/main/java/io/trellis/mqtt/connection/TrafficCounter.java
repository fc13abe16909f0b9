package io.trellis.mqtt.connection;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.trellis.mqtt.broker.BrokerMetrics;

/** Counts MQTT bytes in and out (bytes.received / bytes.sent), after TLS and WebSocket framing. */
@ChannelHandler.Sharable
final class TrafficCounter extends ChannelDuplexHandler {
    private final BrokerMetrics metrics;

    TrafficCounter(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) metrics.bytesReceived.add(b.readableBytes());
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) metrics.bytesSent.add(b.readableBytes());
        ctx.write(msg, promise);
    }
}

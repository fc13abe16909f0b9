package io.trellis.mqtt.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;

/** MQTT over WebSocket: binary (and continuation) frames in, ByteBuf out as binary frames. */
@ChannelHandler.Sharable
final class WebSocketFrameCodec extends MessageToMessageCodec<WebSocketFrame, ByteBuf> {
    static final WebSocketFrameCodec INSTANCE = new WebSocketFrameCodec();

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
        out.add(new BinaryWebSocketFrame(msg.retain()));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
            out.add(frame.content().retain());
        } else {
            // MQTT over WebSocket is binary only (MQTT 5 section 6): a text frame is a client fault.
            ctx.close();
        }
    }
}

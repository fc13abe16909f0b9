package io.trellis.cluster.handshake;

import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Frames before the handshake: a 2-byte length, then at most {@link HandshakeMessage#MAX_FRAME_BYTES}
 * bytes. A larger length fails at once (fail fast), before the body is buffered, and the
 * handshake handler closes the connection.
 */
final class PreHandshakeFrameDecoder extends LengthFieldBasedFrameDecoder {
    PreHandshakeFrameDecoder() {
        // maxFrameLength counts the length field too.
        super(HandshakeMessage.MAX_FRAME_BYTES + HandshakeMessage.LENGTH_BYTES, 0, HandshakeMessage.LENGTH_BYTES, 0,
                HandshakeMessage.LENGTH_BYTES, true);
    }
}

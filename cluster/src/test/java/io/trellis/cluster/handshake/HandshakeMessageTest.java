package io.trellis.cluster.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.trellis.cluster.ClusterChannel;
import org.junit.jupiter.api.Test;

class HandshakeMessageTest {

    private static HandshakeMessage roundTrip(HandshakeMessage m) throws Exception {
        ByteBuf frame = m.encode(ByteBufAllocator.DEFAULT);
        try {
            assertThat(frame.readUnsignedShort()).isEqualTo(frame.readableBytes());
            return HandshakeMessage.decode(frame);
        } finally {
            frame.release();
        }
    }

    private static void assertMalformed(byte[] body, String why) {
        ByteBuf frame = Unpooled.wrappedBuffer(body);
        try {
            assertThatThrownBy(() -> HandshakeMessage.decode(frame)).isInstanceOf(HandshakeMessage.MalformedFrame.class).hasMessageContaining(why);
        } finally {
            frame.release();
        }
    }

    @Test
    void everyFrameRoundTrips() throws Exception {
        byte[] nonce = new byte[32];
        nonce[5] = 7;
        HandshakeMessage.Hello hello = (HandshakeMessage.Hello) roundTrip(
                new HandshakeMessage.Hello(1, 3, ClusterChannel.RPC, "a1@h", "b2@::1", nonce));
        assertThat(hello.minVersion()).isEqualTo(1);
        assertThat(hello.maxVersion()).isEqualTo(3);
        assertThat(hello.channel()).isEqualTo(ClusterChannel.RPC);
        assertThat(hello.diallerName()).isEqualTo("a1@h");
        assertThat(hello.expectedName()).isEqualTo("b2@::1");
        assertThat(hello.nonce()).isEqualTo(nonce);

        HandshakeMessage.Challenge challenge = (HandshakeMessage.Challenge) roundTrip(new HandshakeMessage.Challenge(1, nonce));
        assertThat(challenge.version()).isEqualTo(1);
        assertThat(challenge.nonce()).isEqualTo(nonce);

        byte[] mac = new byte[32];
        mac[0] = 9;
        assertThat(((HandshakeMessage.Proof) roundTrip(new HandshakeMessage.Proof(mac))).mac()).isEqualTo(mac);

        for (HandshakeFailure reason : HandshakeFailure.values()) {
            HandshakeMessage.Refusal r = (HandshakeMessage.Refusal) roundTrip(new HandshakeMessage.Refusal(reason, 1, 2));
            assertThat(r.reason()).isEqualTo(reason);
            assertThat(r.maxVersion()).isEqualTo(2);
        }
    }

    @Test
    void malformedFramesAreRefusedNotGuessed() {
        assertMalformed(new byte[0], "empty frame");
        assertMalformed(new byte[] {9}, "unknown frame type 9");
        assertMalformed(new byte[] {1, 'H', 'T', 'T', 'P'}, "not a Trellis handshake");
        assertMalformed(new byte[] {2, 0, 1, 3, 1, 2, 3}, "nonce of 3 bytes");
        assertMalformed(new byte[] {3, 2, 1, 2}, "proof of 2 bytes");
        assertMalformed(new byte[] {3, 32, 1}, "truncated");
        assertMalformed(new byte[] {4, 1, 0, 1, 0, 1, 0}, "trailing bytes");
    }

    @Test
    void anUnknownRefusalCodeReadsAsMalformed() {
        assertThat(HandshakeFailure.fromWireCode(200)).isEqualTo(HandshakeFailure.MALFORMED);
    }
}

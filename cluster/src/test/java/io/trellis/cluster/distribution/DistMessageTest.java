package io.trellis.cluster.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.trellis.cluster.NodeName;
import java.util.List;
import org.junit.jupiter.api.Test;

class DistMessageTest {

    private static DistMessage roundTrip(DistMessage m) throws Exception {
        ByteBuf buf = m.encode(ByteBufAllocator.DEFAULT);
        try {
            return DistMessage.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void messagesRoundTrip() throws Exception {
        List<DistMessage.Member> members = List.of(new DistMessage.Member(NodeName.parse("a1@10.0.0.1"), 4371),
                new DistMessage.Member(NodeName.parse("b@::1"), 65535));
        assertThat(roundTrip(new DistMessage.MembersV1(members))).isEqualTo(new DistMessage.MembersV1(members));
        assertThat(roundTrip(new DistMessage.HeartbeatV1())).isEqualTo(new DistMessage.HeartbeatV1());
        assertThat(roundTrip(new DistMessage.LeaveV1())).isEqualTo(new DistMessage.LeaveV1());
    }

    @Test
    void unknownTruncatedOrTrailingFramesAreMalformed() {
        for (byte[] body : List.of(new byte[] {1, 2}, new byte[] {9, 1}, new byte[] {2, 1, 0, 1, 5}, new byte[] {1, 1, 0}, new byte[] {2, 1, 0, 1, 3, 'x', '@', '-', 0, 1})) {
            ByteBuf buf = Unpooled.wrappedBuffer(body);
            assertThatThrownBy(() -> DistMessage.decode(buf)).isInstanceOf(DistMessage.Malformed.class);
        }
    }
}

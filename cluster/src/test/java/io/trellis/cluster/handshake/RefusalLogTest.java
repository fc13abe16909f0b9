package io.trellis.cluster.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.cluster.ClusterChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
    private final AtomicLong now = new AtomicLong();
    private final RefusalLog log = new RefusalLog(Duration.ofMinutes(1), now::get);

    private static HandshakeFailed failed(String name, String ip, int port) {
        return new HandshakeFailed(HandshakeFailure.COOKIE_MISMATCH, ClusterChannel.DIST, new InetSocketAddress(ip, port), name, false);
    }

    @Test
    void oncePerPeerNameAndAddressPerWindowThenSaysHowManyWereSuppressed() {
        assertThat(log.messageFor(failed("b@h", "10.0.0.2", 40001), Role.ACCEPTOR))
                .isEqualTo("refused node b@h at /10.0.0.2:40001 on distribution: cookie mismatch (give both nodes the same node.cookie)");
        // Another source port of the same peer is the same peer.
        assertThat(log.messageFor(failed("b@h", "10.0.0.2", 40002), Role.ACCEPTOR)).isNull();
        assertThat(log.messageFor(failed("b@h", "10.0.0.2", 40003), Role.ACCEPTOR)).isNull();
        assertThat(log.messageFor(failed("c@h", "10.0.0.2", 40004), Role.ACCEPTOR)).isNotNull();
        assertThat(log.messageFor(failed("b@h", "10.0.0.3", 40005), Role.ACCEPTOR)).isNotNull();
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertThat(log.messageFor(failed("b@h", "10.0.0.2", 40006), Role.ACCEPTOR)).endsWith("[2 more from this peer not logged]");
    }

    @Test
    void manyDistinctPeersAreBoundedAndSummarised() {
        int logged = 0;
        for (int i = 0; i < 5000; i++) {
            if (log.messageFor(failed("n" + i + "@h", "10.0.0.2", 1), Role.ACCEPTOR) != null) {
                logged++;
            }
        }
        assertThat(logged).isEqualTo(4096);
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertThat(log.messageFor(failed("late@h", "10.0.0.9", 1), Role.ACCEPTOR))
                .contains("904 refusals from other peers not logged");
    }

    @Test
    void diallerSideWordsSayWhoRefusedWhom() {
        HandshakeFailed byPeer = new HandshakeFailed(HandshakeFailure.COOKIE_MISMATCH, ClusterChannel.RPC, new InetSocketAddress("10.0.0.2", 5371), "b1@h", true);
        assertThat(byPeer.describe(Role.DIALLER)).startsWith("node b1@h at /10.0.0.2:5371 refused our cluster RPC connection: cookie mismatch");
    }
}

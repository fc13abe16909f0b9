package io.trellis.cluster.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import io.trellis.config.Secret;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TranscriptTest {
    private static final CookieKey KEY = CookieKey.of(new Secret("Zb7kq2Lr9sX4vN1mQ8wE3tY6uI0oP5aS"));
    private static final NodeName A = NodeName.parse("a1@10.0.0.1");
    private static final NodeName B = NodeName.parse("b2@10.0.0.2");
    private static final byte[] NA = bytes(1);
    private static final byte[] NB = bytes(2);

    private static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    private static Transcript transcript() {
        return new Transcript(1, 1, 1, ClusterChannel.DIST, A, B, NA, NB);
    }

    @Test
    void aProofVerifiesForItsRoleOnlyNoReflection() {
        Transcript t = transcript();
        byte[] dialler = t.proof(KEY, Role.DIALLER);
        assertThat(dialler).hasSize(Transcript.PROOF_LENGTH);
        assertThat(t.verify(KEY, Role.DIALLER, dialler)).isTrue();
        assertThat(t.verify(KEY, Role.ACCEPTOR, dialler)).as("a dialler's proof reflected as the acceptor's").isFalse();
        assertThat(t.proof(KEY, Role.ACCEPTOR)).isNotEqualTo(dialler);
    }

    @Test
    void anotherCookieGivesAnotherProof() {
        Transcript t = transcript();
        byte[] proof = t.proof(CookieKey.of(new Secret("another-long-random-cookie-value-123")), Role.DIALLER);
        assertThat(t.verify(KEY, Role.DIALLER, proof)).isFalse();
        assertThat(t.verify(KEY, Role.DIALLER, new byte[0])).isFalse();
    }

    @Test
    void everyFieldIsBoundIntoTheProof() {
        List<Transcript> variants = List.of(
                transcript(),
                new Transcript(2, 1, 2, ClusterChannel.DIST, A, B, NA, NB),
                new Transcript(1, 1, 2, ClusterChannel.DIST, A, B, NA, NB),
                new Transcript(1, 1, 1, ClusterChannel.RPC, A, B, NA, NB),
                new Transcript(1, 1, 1, ClusterChannel.DIST, B, A, NA, NB),
                new Transcript(1, 1, 1, ClusterChannel.DIST, A, B, NB, NA),
                new Transcript(1, 1, 1, ClusterChannel.DIST, A, NodeName.parse("b3@10.0.0.2"), NA, NB),
                // Same bytes concatenated, split differently: length prefixes keep them apart.
                new Transcript(1, 1, 1, ClusterChannel.DIST, NodeName.parse("ab@h"), NodeName.parse("c@h"), NA, NB),
                new Transcript(1, 1, 1, ClusterChannel.DIST, NodeName.parse("a@h"), NodeName.parse("bc@h"), NA, NB));
        Set<String> proofs = new HashSet<>();
        for (Transcript t : variants) {
            proofs.add(java.util.HexFormat.of().formatHex(t.proof(KEY, Role.DIALLER)));
        }
        assertThat(proofs).hasSize(variants.size());
    }

    @Test
    void noncesAreFreshAndLongEnough() {
        HandshakeSettings settings = new HandshakeSettings(A, KEY, Duration.ofSeconds(5), new RefusalLog(Duration.ofMinutes(1)));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            byte[] nonce = settings.newNonce();
            assertThat(nonce).hasSizeGreaterThanOrEqualTo(16);
            seen.add(java.util.HexFormat.of().formatHex(nonce));
        }
        assertThat(seen).hasSize(100);
    }

    @Test
    void theKeyAndSettingsNeverPrintTheCookie() {
        HandshakeSettings settings = new HandshakeSettings(A, KEY, Duration.ofSeconds(5), new RefusalLog(Duration.ofMinutes(1)));
        assertThat(KEY.toString() + settings).doesNotContain("Zb7kq2Lr9sX4vN1mQ8wE3tY6uI0oP5aS");
    }
}

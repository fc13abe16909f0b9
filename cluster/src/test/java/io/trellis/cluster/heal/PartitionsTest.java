package io.trellis.cluster.heal;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.cluster.NodeName;
import org.junit.jupiter.api.Test;

class PartitionsTest {
    static final NodeName B = NodeName.parse("b@127.0.0.1");
    static final NodeName C = NodeName.parse("c@127.0.0.1");

    @Test
    void aNewPeerAndAReconnectionWithoutADownMerge() {
        Partitions p = new Partitions(false);
        assertThat(p.nodeInfo(B, 100)).isEqualTo(Partitions.Verdict.MERGE);
        assertThat(p.nodeInfo(B, 100)).isEqualTo(Partitions.Verdict.MERGE); // connection replaced: NODE_INFO again
        assertThat(p.held()).isEmpty();
    }

    /** The peer comes back saying it saw this node down too. */
    static Partitions.Verdict back(Partitions p, NodeName peer, long startedAt) {
        p.peerSawMeDown(peer);
        return p.nodeInfo(peer, startedAt);
    }

    @Test
    void onlyThisSideSeeingThePeerDownIsAReplacedConnectionNotAPartition() {
        Partitions p = new Partitions(false);
        p.nodeInfo(B, 100);
        p.down(B);
        assertThat(p.sawDown(B)).isTrue();
        assertThat(p.nodeInfo(B, 100)).isEqualTo(Partitions.Verdict.MERGE); // the peer did not say it saw us down
        assertThat(p.sawDown(B)).isFalse();
        p.peerSawMeDown(B); // the peer saw us down, we did not see it down
        assertThat(p.nodeInfo(B, 100)).isEqualTo(Partitions.Verdict.MERGE);
        assertThat(p.held()).isEmpty();
    }

    @Test
    void aPeerBackWithTheSameStartTimeWasPartitioned() {
        Partitions healing = new Partitions(true);
        healing.nodeInfo(B, 100);
        healing.down(B);
        assertThat(back(healing, B, 100)).isEqualTo(Partitions.Verdict.HEALED);
        assertThat(healing.held()).isEmpty();

        Partitions holding = new Partitions(false);
        holding.nodeInfo(B, 100);
        holding.down(B);
        assertThat(back(holding, B, 100)).isEqualTo(Partitions.Verdict.HOLD);
        assertThat(holding.held()).containsExactly(B);
        holding.down(B); // flaps while held: told once only
        assertThat(back(holding, B, 100)).isEqualTo(Partitions.Verdict.STILL_HELD);
    }

    @Test
    void aRestartedPeerIsANewNodeEvenWhenHeld() {
        Partitions p = new Partitions(false);
        p.nodeInfo(B, 100);
        p.down(B);
        assertThat(back(p, B, 200)).isEqualTo(Partitions.Verdict.MERGE);
        p.down(B);
        assertThat(back(p, B, 200)).isEqualTo(Partitions.Verdict.HOLD);
        p.down(B);
        assertThat(back(p, B, 300)).isEqualTo(Partitions.Verdict.MERGE);
        assertThat(p.held()).isEmpty();
    }

    @Test
    void releaseMergesEveryHeldPeerAndAJoinBeforeTheConnectionMergesWhenItComes() {
        Partitions p = new Partitions(false);
        for (NodeName n : new NodeName[] {B, C}) {
            p.nodeInfo(n, 1);
            p.down(n);
            back(p, n, 1);
        }
        assertThat(p.release(C)).isTrue();
        assertThat(p.release(C)).isFalse();
        assertThat(p.release()).containsExactly(B);
        assertThat(p.held()).isEmpty();

        p.down(B);
        p.mergeRequested(B);
        assertThat(back(p, B, 1)).isEqualTo(Partitions.Verdict.MERGE_ON_COMMAND);
        p.mergeRequested(NodeName.parse("never@127.0.0.1")); // unknown: a plain join
        assertThat(p.nodeInfo(NodeName.parse("never@127.0.0.1"), 5)).isEqualTo(Partitions.Verdict.MERGE);
    }

    @Test
    void aPeerThatLeftIsForgotten() {
        Partitions p = new Partitions(false);
        p.nodeInfo(B, 1);
        p.down(B);
        p.forget(B);
        assertThat(back(p, B, 1)).isEqualTo(Partitions.Verdict.MERGE);
        p.down(B);
        p.forgetAll();
        assertThat(back(p, B, 1)).isEqualTo(Partitions.Verdict.MERGE);
    }
}

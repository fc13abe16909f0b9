package io.trellis.cluster.heal;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.cluster.NodeName;
import org.junit.jupiter.api.Test;

class SessionConflictTest {
    static final NodeName A = NodeName.parse("a@127.0.0.1");
    static final NodeName B = NodeName.parse("b@127.0.0.1");

    @Test
    void theLaterConnectionWinsOnBothNodes() {
        assertThat(SessionConflict.wins(20, B, 10, A)).isTrue();
        assertThat(SessionConflict.wins(10, A, 20, B)).isFalse();
    }

    @Test
    void atTheSameMillisecondTheLowerNodeNameWinsExactlyOnce() {
        assertThat(SessionConflict.wins(10, A, 10, B)).isTrue();
        assertThat(SessionConflict.wins(10, B, 10, A)).isFalse();
    }
}

package io.trellis.cluster.heal;

import io.trellis.cluster.NodeName;

/**
 * The rule for one client id connected on two nodes at once, which only a partition allows (while
 * connected, a second connection takes the first's session over): the later connection wins, by
 * the connect times the two nodes recorded (their clocks); at the same millisecond the node with
 * the lower name wins. Both nodes apply it to the same two registrations and agree without talking.
 */
public final class SessionConflict {
    private SessionConflict() {
    }

    /** Whether the registration (atMillis on node) beats (otherAtMillis on other). */
    public static boolean wins(long atMillis, NodeName node, long otherAtMillis, NodeName other) {
        if (atMillis != otherAtMillis) {
            return atMillis > otherAtMillis;
        }
        return node.compareTo(other) < 0;
    }
}

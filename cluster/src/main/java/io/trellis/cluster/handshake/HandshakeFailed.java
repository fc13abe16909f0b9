package io.trellis.cluster.handshake;

import io.trellis.cluster.ClusterChannel;
import java.net.SocketAddress;

/**
 * User event fired when a handshake fails, just before the channel closes.
 *
 * @param reason         why, in operator words
 * @param peerAddress    the remote address
 * @param claimedName    the node name the peer claimed (acceptor) or the one we expected
 *                       (dialler); null when none was received or it was not a valid name
 * @param reportedByPeer whether the peer sent the reason in a refusal frame (else we decided)
 */
public record HandshakeFailed(HandshakeFailure reason, ClusterChannel channel, SocketAddress peerAddress, String claimedName,
                              boolean reportedByPeer) {

    /** E.g. "node b@h at /10.0.0.2:4371 refused the connection: cookie mismatch (give both nodes the same node.cookie)". */
    public String describe(Role localRole) {
        String who = "node " + (claimedName == null ? "(unnamed)" : claimedName) + " at " + peerAddress;
        String what = localRole == Role.ACCEPTOR
                ? (reportedByPeer ? who + " gave up on " + channel.description() + " handshake: " : "refused " + who + " on " + channel.description() + ": ")
                : (reportedByPeer ? who + " refused our " + channel.description() + " connection: " : "could not connect to " + who + " on " + channel.description() + ": ");
        return what + reason.words() + " (" + reason.fix() + ")";
    }
}

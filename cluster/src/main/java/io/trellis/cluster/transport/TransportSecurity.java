package io.trellis.cluster.transport;

import io.trellis.cluster.ClusterChannel;
import io.trellis.security.TlsConfigException;
import java.util.Objects;

/**
 * TLS settings of a node's two inter-node channels, independent of each other (rpc.driver and
 * cluster.proto_dist), so a cluster may run TLS on one channel only.
 */
public record TransportSecurity(ChannelTls dist, ChannelTls rpc) {
    /** Plain TCP on both channels. */
    public static final TransportSecurity PLAIN = new TransportSecurity(ChannelTls.PLAIN, ChannelTls.PLAIN);

    public TransportSecurity {
        Objects.requireNonNull(dist, "dist");
        Objects.requireNonNull(rpc, "rpc");
    }

    public ChannelTls of(ClusterChannel channel) {
        return channel == ClusterChannel.DIST ? dist : rpc;
    }

    /**
     * Re-reads every certificate, key and CA file and rebuilds the contexts; only when both
     * channels' new material is valid are they swapped in. New connections use the new contexts,
     * established ones keep theirs. A bad file throws (naming it) and leaves everything as it was.
     */
    public synchronized void reload() throws TlsConfigException {
        ChannelTls.Contexts nextDist = dist.load();
        ChannelTls.Contexts nextRpc = rpc == dist ? nextDist : rpc.load();
        dist.swap(nextDist);
        rpc.swap(nextRpc);
        // (The file watch of each ChannelTls may reload again on the next connection: harmless, same files.)
    }
}

package io.trellis.cluster;

import java.util.Locale;

/** {@code rpc.port_discovery}: how a node finds a peer's cluster RPC port (EMQX's values). */
public enum RpcPortDiscovery {
    /** 5370 + the peer's offset N: nodes on one host get distinct ports. EMQX's default. */
    STATELESS,
    /** Every node listens on {@code rpc.server_port}: one node per host (containers). */
    MANUAL;

    /** From the config word, {@code stateless} or {@code manual}. */
    public static RpcPortDiscovery fromConfig(String word) {
        for (RpcPortDiscovery d : values()) {
            if (d.configWord().equals(word)) {
                return d;
            }
        }
        throw new IllegalArgumentException("rpc.port_discovery '" + word + "' is not known; write stateless or manual");
    }

    public String configWord() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.trellis.cluster.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.NodeName;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import io.trellis.security.TlsOptions;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * TLS of one inter-node channel (distribution or cluster RPC), or none. The same certificate
 * serves as server certificate (acceptor) and client certificate (dialler). The contexts can be
 * swapped ({@link TransportSecurity#reload()}): new connections take the current pair, existing
 * ones keep theirs.
 */
public final class ChannelTls {
    /** Plain TCP. */
    public static final ChannelTls PLAIN = new ChannelTls(null, false, null);

    /** The contexts of one generation. */
    record Contexts(SslContext server, SslContext client) {
    }

    /** Builds a fresh generation; throws with a message naming the file and what is wrong. */
    @FunctionalInterface
    interface Loader {
        Contexts load() throws TlsConfigException;
    }

    private final Loader loader;
    private final boolean verifyPeerHost;
    private final AtomicReference<Contexts> current;

    private ChannelTls(Loader loader, boolean verifyPeerHost, Contexts first) {
        this.loader = loader;
        this.verifyPeerHost = verifyPeerHost;
        this.current = new AtomicReference<>(first);
    }

    /**
     * TLS from PEM files as the rpc / cluster.ssl_dist keys name them, checked now. With
     * verifyPeerHost the dialler also checks that the acceptor's certificate names the host of
     * the node name it dials (SAN, IP or DNS); otherwise only the CA chain, as EMQX does.
     */
    public static ChannelTls fromOptions(TlsOptions options, boolean verifyPeerHost, SslProvider provider) throws TlsConfigException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(provider, "provider");
        Loader loader = () -> new Contexts(TlsContexts.forServer(options, provider),
                TlsContexts.forClient(options, verifyPeerHost && options.verifyPeer(), provider));
        return new ChannelTls(loader, verifyPeerHost, loader.load());
    }

    /** Fixed contexts, not reloadable (tests that need material TlsMaterial would refuse, e.g. an expired certificate). */
    public static ChannelTls of(SslContext server, SslContext client) {
        Contexts fixed = new Contexts(Objects.requireNonNull(server, "server"), Objects.requireNonNull(client, "client"));
        return new ChannelTls(() -> fixed, false, fixed);
    }

    public boolean enabled() {
        return current.get() != null;
    }

    public boolean verifyPeerHost() {
        return verifyPeerHost;
    }

    Contexts load() throws TlsConfigException {
        return loader == null ? null : loader.load();
    }

    void swap(Contexts next) {
        if (loader != null) {
            current.set(next);
        }
    }

    SslHandler newAcceptorHandler(ByteBufAllocator alloc) {
        return current.get().server().newHandler(alloc);
    }

    /** Host and port go to the engine for SNI and, with verifyPeerHost, the host name check. */
    SslHandler newDiallerHandler(ByteBufAllocator alloc, NodeName peer, int port) {
        return current.get().client().newHandler(alloc, peer.host(), port);
    }

    @Override
    public String toString() {
        return enabled() ? "TLS" + (verifyPeerHost ? " (verify_peer_host)" : "") : "plain TCP";
    }
}

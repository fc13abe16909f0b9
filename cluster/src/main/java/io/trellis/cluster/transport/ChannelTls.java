package io.trellis.cluster.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.NodeName;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import io.trellis.security.TlsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS of one inter-node channel (distribution or cluster RPC), or none. The same certificate
 * serves as server certificate (acceptor) and client certificate (dialler). The contexts can be
 * swapped ({@link TransportSecurity#reload()}): new connections take the current pair, existing
 * ones keep theirs.
 */
public final class ChannelTls {
    /** Plain TCP. */
    public static final ChannelTls PLAIN = new ChannelTls(null, false, null, List.of());

    /** The contexts of one generation. */
    record Contexts(SslContext server, SslContext client) {
    }

    /** Builds a fresh generation; throws with a message naming the file and what is wrong. */
    @FunctionalInterface
    interface Loader {
        Contexts load() throws TlsConfigException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ChannelTls.class);

    private final Loader loader;
    private final boolean verifyPeerHost;
    private final AtomicReference<Contexts> current;
    /** The files behind the contexts, watched for changes; empty when fixed or plain. */
    private final List<Path> files;
    /** Their modification times when last looked at (loaded, or refused). */
    private volatile Map<Path, FileTime> stamps;

    private ChannelTls(Loader loader, boolean verifyPeerHost, Contexts first, List<Path> files) {
        this.loader = loader;
        this.verifyPeerHost = verifyPeerHost;
        this.current = new AtomicReference<>(first);
        this.files = files;
        this.stamps = stamps(files);
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
        List<Path> files = Stream.of(options.certfile(), options.keyfile(), options.cacertfile()).filter(Objects::nonNull).toList();
        Map<Path, FileTime> before = stamps(files); // taken before reading: a change while loading is seen next time
        ChannelTls tls = new ChannelTls(loader, verifyPeerHost, loader.load(), files);
        tls.stamps = before;
        return tls;
    }

    /** Fixed contexts, not reloadable (tests that need material TlsMaterial would refuse, e.g. an expired certificate). */
    public static ChannelTls of(SslContext server, SslContext client) {
        Contexts fixed = new Contexts(Objects.requireNonNull(server, "server"), Objects.requireNonNull(client, "client"));
        return new ChannelTls(() -> fixed, false, fixed, List.of());
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

    /**
     * The file watch, checked as each new connection is set up (no thread, a few stats per
     * connection): when a certificate, key or CA file changed on disk, the material is re-read and
     * validated; valid, it serves this and later connections; invalid (say, half copied), the old
     * contexts stay and one warning names the problem until the files change again.
     */
    void refreshIfChanged() {
        if (files.isEmpty()) {
            return;
        }
        Map<Path, FileTime> now = stamps(files);
        if (now.equals(stamps)) {
            return;
        }
        synchronized (this) {
            if (now.equals(stamps)) {
                return;
            }
            stamps = now;
            try {
                swap(load());
                LOG.info("TLS files {} changed: reloaded; new connections use them", files);
            } catch (TlsConfigException e) {
                LOG.warn("TLS files {} changed but cannot be used, keeping the previous ones: {}", files, e.getMessage());
            }
        }
    }

    private static Map<Path, FileTime> stamps(List<Path> files) {
        Map<Path, FileTime> out = new HashMap<>();
        for (Path f : files) {
            try {
                out.put(f, Files.getLastModifiedTime(f));
            } catch (IOException e) {
                out.put(f, FileTime.fromMillis(-1)); // missing now: a change too
            }
        }
        return out;
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

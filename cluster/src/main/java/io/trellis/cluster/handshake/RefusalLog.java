package io.trellis.cluster.handshake;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs failed handshakes at WARN, at most once per (peer name, peer IP) per window (a minute in
 * production), so a flood of bad handshakes cannot flood the log. The next line for a key says
 * how many were suppressed. The number of keys is bounded: beyond it, refusals from new keys
 * are counted and summarised instead of remembered. Never sees the cookie. Thread-safe.
 */
public final class RefusalLog {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalLog.class);
    private static final int MAX_KEYS = 4096;

    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> windows = new HashMap<>();
    private long overflowSuppressed;

    public RefusalLog(Duration window) {
        this(window, System::nanoTime);
    }

    RefusalLog(Duration window, LongSupplier nanoClock) {
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    private static final class Window {
        long start;
        int suppressed;
    }

    /** Logs {@code failure} unless this peer was logged within the window. */
    public void record(HandshakeFailed failure, Role localRole) {
        if (failure.reason() == HandshakeFailure.CONNECTION_CLOSED && failure.claimedName() == null && localRole == Role.ACCEPTOR) {
            // Connected and left without a word: a port scan or a TCP health check, not a node.
            LOG.debug("connection from {} closed before any handshake", failure.peerAddress());
            return;
        }
        String message = messageFor(failure, localRole);
        if (message != null) {
            LOG.warn(message);
        }
    }

    /** The line to log now, or null when rate-limited. Visible for tests. */
    synchronized String messageFor(HandshakeFailed failure, Role localRole) {
        long now = nanoClock.getAsLong();
        String key = failure.claimedName() + "|" + ipOf(failure.peerAddress());
        Window w = windows.get(key);
        if (w == null) {
            if (windows.size() >= MAX_KEYS) {
                windows.values().removeIf(old -> now - old.start >= windowNanos);
            }
            if (windows.size() >= MAX_KEYS) {
                overflowSuppressed++;
                return null;
            }
            w = new Window();
            w.start = now;
            windows.put(key, w);
            return withCounts(failure.describe(localRole), 0);
        }
        if (now - w.start < windowNanos) {
            w.suppressed++;
            return null;
        }
        int suppressed = w.suppressed;
        w.start = now;
        w.suppressed = 0;
        return withCounts(failure.describe(localRole), suppressed);
    }

    private String withCounts(String line, int suppressed) {
        String out = suppressed == 0 ? line : line + " [" + suppressed + " more from this peer not logged]";
        if (overflowSuppressed > 0) {
            out += " [" + overflowSuppressed + " refusals from other peers not logged: too many distinct peers]";
            overflowSuppressed = 0;
        }
        return out;
    }

    private static String ipOf(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(address);
    }

    /** Forgets peers whose window is over (called rarely; memory is bounded anyway). */
    public synchronized void purge() {
        long now = nanoClock.getAsLong();
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            if (now - it.next().start >= windowNanos) {
                it.remove();
            }
        }
    }
}

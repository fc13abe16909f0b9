package io.trellis.mqtt.auth;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * EMQX's banned clients ({@code /api/v5/banned}): bans by client id, username or peer host, each
 * with an expiry, checked at CONNECT. It also bans on its own: {@code maxFailures} failed logins
 * from one address or one client id within {@code window} ban that address or client id for
 * {@code banTime} (see {@code authentication_settings.failure_ban}); {@code maxFailures = 0} turns
 * that off.
 *
 * <p>Two kinds, kept apart: <em>manual</em> bans ({@link #add}: the API and ctl) are the ones a
 * cluster replicates and a node persists ({@link #manual()}); <em>automatic</em> bans from failed
 * logins stay on the node that counted the failures and in memory only (short-lived, and an
 * attacker cycling client ids must not be able to write to the replicated, never-compacted
 * config log). {@link #find} and {@link #list} see both.
 *
 * <p>Thread-safe. Time comes from {@code clock} (epoch milliseconds) so tests can move it.
 */
public final class BanList {

    public enum As {
        CLIENTID, USERNAME, PEERHOST;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static As fromName(String name) {
            for (As a : values()) {
                if (a.id().equals(name)) return a;
            }
            throw new IllegalArgumentException("'as' must be clientid, username or peerhost, got '" + name + "'");
        }
    }

    /** One ban; {@code until} is epoch milliseconds, {@link Long#MAX_VALUE} for never. */
    public record Ban(As as, String who, String by, String reason, long at, long until) {
        public Ban {
            Objects.requireNonNull(as, "as");
            if (who == null || who.isEmpty()) throw new IllegalArgumentException("'who' must be a non-empty string");
            by = by == null ? "" : by;
            reason = reason == null ? "" : reason;
        }
    }

    private record Key(As as, String who) {}

    private final Map<Key, Ban> bans = new ConcurrentHashMap<>();
    private final Map<Key, Ban> automatic = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean manualExpired = new java.util.concurrent.atomic.AtomicBoolean();
    private final Map<Key, ArrayDeque<Long>> failures = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final int maxFailures;
    private final long windowMillis;
    private final long banTimeMillis;

    public BanList(LongSupplier clock, int maxFailures, long windowMillis, long banTimeMillis) {
        if (maxFailures < 0) throw new IllegalArgumentException("failure_ban.max_failures must be >= 0");
        this.clock = clock;
        this.maxFailures = maxFailures;
        this.windowMillis = windowMillis;
        this.banTimeMillis = banTimeMillis;
    }

    /** No automatic bans; manual ones only. */
    public static BanList manualOnly() {
        return new BanList(System::currentTimeMillis, 0, 0, 0);
    }

    public long now() {
        return clock.getAsLong();
    }

    /** Adds (or replaces) a manual ban. */
    public void add(Ban ban) {
        bans.put(new Key(ban.as(), ban.who()), ban);
    }

    /** Lifts the manual and the automatic ban of {@code who}; true when there was one. */
    public boolean delete(As as, String who) {
        Key k = new Key(as, who);
        boolean manual = bans.remove(k) != null;
        return automatic.remove(k) != null | manual;
    }

    /** Lifts only the automatic ban of {@code who} (this node's); true when there was one. */
    public boolean deleteAutomatic(As as, String who) {
        return automatic.remove(new Key(as, who)) != null;
    }

    /** True when a manual ban of {@code who} is in force. */
    public boolean hasManual(As as, String who) {
        Ban b = bans.get(new Key(as, who));
        return b != null && b.until() > now();
    }

    /** Bans in force, manual and automatic, oldest first; expired ones are dropped on the way. */
    public List<Ban> list() {
        dropExpired();
        return java.util.stream.Stream.concat(bans.values().stream(), automatic.values().stream())
                .sorted(Comparator.comparingLong(Ban::at).thenComparing(Ban::who)).toList();
    }

    /** Manual bans in force, oldest first: what a node persists and a cluster replicates. */
    public List<Ban> manual() {
        long now = now();
        return bans.values().stream().filter(b -> b.until() > now)
                .sorted(Comparator.comparingLong(Ban::at).thenComparing(Ban::who)).toList();
    }

    /**
     * Drops expired bans of both kinds; true when manual bans expired since the last call (here or
     * in {@link #find}): a persisted copy of {@link #manual()} is then stale.
     */
    public boolean purgeExpired() {
        dropExpired();
        return manualExpired.getAndSet(false);
    }

    private void dropExpired() {
        long now = now();
        automatic.values().removeIf(b -> b.until() <= now);
        if (bans.values().removeIf(b -> b.until() <= now)) {
            manualExpired.set(true);
        }
    }

    /** The ban in force for any of the three, or empty. Null arguments are skipped. */
    public Optional<Ban> find(String clientId, String username, String peerHost) {
        long now = now();
        for (Key k : new Key[] {key(As.CLIENTID, clientId), key(As.USERNAME, username), key(As.PEERHOST, peerHost)}) {
            if (k == null) continue;
            for (Map<Key, Ban> kind : List.of(bans, automatic)) {
                Ban b = kind.get(k);
                if (b == null) continue;
                if (b.until() > now) return Optional.of(b);
                if (kind.remove(k, b) && kind == bans) manualExpired.set(true);
            }
        }
        return Optional.empty();
    }

    /** Counts a failed login; bans the address and/or client id that reached the threshold. */
    public void recordFailure(String clientId, String peerHost) {
        if (maxFailures == 0) return;
        long now = now();
        count(key(As.PEERHOST, peerHost), now);
        count(key(As.CLIENTID, clientId), now);
    }

    /** Above this many tracked addresses/ids, entries with no failure in the window are dropped. */
    private static final int PRUNE_ABOVE = 10_000;
    private volatile long lastPrune = Long.MIN_VALUE / 2;

    private void count(Key k, long now) {
        if (k == null) return;
        if (failures.size() > PRUNE_ABOVE && now - lastPrune >= windowMillis) { // at most once per window
            lastPrune = now;
            // computeIfPresent holds the entry's lock, as count's compute does: no torn deque read
            for (Key stale : failures.keySet()) {
                failures.computeIfPresent(stale, (key, t) -> t.isEmpty() || t.peekLast() <= now - windowMillis ? null : t);
            }
        }
        boolean[] reached = {false};
        failures.compute(k, (key, times) -> {
            ArrayDeque<Long> t = times == null ? new ArrayDeque<>() : times;
            while (!t.isEmpty() && t.peekFirst() <= now - windowMillis) t.pollFirst();
            t.addLast(now);
            if (t.size() >= maxFailures) {
                reached[0] = true;
                return null;
            }
            return t;
        });
        if (reached[0]) {
            automatic.put(k, new Ban(k.as(), k.who(), "authentication_settings.failure_ban",
                    maxFailures + " failed logins within " + windowMillis / 1000 + "s", now, now + banTimeMillis));
        }
    }

    /** How many addresses and client ids have failures being counted (tests). */
    int tracked() {
        return failures.size();
    }

    private static Key key(As as, String who) {
        return who == null || who.isEmpty() ? null : new Key(as, who);
    }
}

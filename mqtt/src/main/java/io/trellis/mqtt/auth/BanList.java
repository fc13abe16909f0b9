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
 * that off. Node-local: bans are not replicated to other nodes yet.
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

    public void add(Ban ban) {
        bans.put(new Key(ban.as(), ban.who()), ban);
    }

    public boolean delete(As as, String who) {
        return bans.remove(new Key(as, who)) != null;
    }

    /** Bans in force, oldest first; expired ones are dropped on the way. */
    public List<Ban> list() {
        long now = now();
        bans.values().removeIf(b -> b.until() <= now);
        return bans.values().stream().sorted(Comparator.comparingLong(Ban::at).thenComparing(Ban::who)).toList();
    }

    /** The ban in force for any of the three, or empty. Null arguments are skipped. */
    public Optional<Ban> find(String clientId, String username, String peerHost) {
        long now = now();
        for (Key k : new Key[] {key(As.CLIENTID, clientId), key(As.USERNAME, username), key(As.PEERHOST, peerHost)}) {
            if (k == null) continue;
            Ban b = bans.get(k);
            if (b == null) continue;
            if (b.until() > now) return Optional.of(b);
            bans.remove(k, b);
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
            add(new Ban(k.as(), k.who(), "authentication_settings.failure_ban",
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

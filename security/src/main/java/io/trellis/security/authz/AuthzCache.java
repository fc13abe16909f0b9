package io.trellis.security.authz;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One connection's memory of authorization answers ({@code authorization.cache}: EMQX's defaults
 * are {@code max_size = 32}, {@code ttl = 1m}). The least recently used answer goes first when
 * full; an answer older than the TTL is asked again. Clear it when the rules change.
 *
 * <p>Meant to be confined to its connection's event loop; methods are synchronized anyway so a
 * stray call from another thread cannot corrupt it.
 */
public final class AuthzCache {

  public static final int DEFAULT_MAX_SIZE = 32;
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(1);

  private record Key(AuthzAction action, String topic) {}

  private record Entry(AuthzResult result, long storedAtNanos) {}

  private final int maxSize;
  private final long ttlNanos;
  private final LongSupplier nanoClock;
  private final LinkedHashMap<Key, Entry> entries;

  public AuthzCache(int maxSize, Duration ttl, LongSupplier nanoClock) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("authorization.cache.max_size must be at least 1, got "
          + maxSize);
    }
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("authorization.cache.ttl must be positive, got " + ttl);
    }
    this.maxSize = maxSize;
    this.ttlNanos = ttl.toNanos();
    this.nanoClock = nanoClock;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
        return size() > AuthzCache.this.maxSize;
      }
    };
  }

  public AuthzCache(int maxSize, Duration ttl) {
    this(maxSize, ttl, System::nanoTime);
  }

  public AuthzCache() {
    this(DEFAULT_MAX_SIZE, DEFAULT_TTL);
  }

  /** The remembered answer, or null when there is none or it has expired. */
  public synchronized AuthzResult get(AuthzAction action, String topic) {
    Key key = new Key(action, topic);
    Entry entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    if (nanoClock.getAsLong() - entry.storedAtNanos >= ttlNanos) {
      entries.remove(key);
      return null;
    }
    return entry.result;
  }

  public synchronized void put(AuthzAction action, String topic, AuthzResult result) {
    entries.put(new Key(action, topic), new Entry(result, nanoClock.getAsLong()));
  }

  public synchronized void clear() {
    entries.clear();
  }

  public synchronized int size() {
    return entries.size();
  }
}

package io.trellis.security.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The keep-alive connections of one origin (scheme, host, port): at most {@code max} open or
 * opening at once, idle ones reused most recent first, requests beyond the bound queued until a
 * connection is released or closed. A new connection is only ever made by {@code dial}, i.e.
 * through the SSRF guard.
 *
 * <p>Thread-safe: the state is guarded by this object's monitor; futures are completed and
 * channels closed outside it (their listeners may call back in).
 */
final class ConnectionPool {

  private record Idle(Channel channel, Future<?> expiry) {
  }

  private final int max;
  private final long idleMillis;
  private final Predicate<Channel> reusable;
  private final Supplier<ChannelFuture> dial;
  private final ArrayDeque<Idle> idle = new ArrayDeque<>();
  private final ArrayDeque<CompletableFuture<Channel>> waiters = new ArrayDeque<>();
  private int open; // connections open or being opened
  private boolean closed;

  /**
   * @param reusable whether an idle connection may still serve a request (it was checked under
   *     the current SSRF policy)
   * @param dial opens a new connection through the SSRF guard
   */
  ConnectionPool(int max, long idleMillis, Predicate<Channel> reusable,
      Supplier<ChannelFuture> dial) {
    this.max = max;
    this.idleMillis = idleMillis;
    this.reusable = reusable;
    this.dial = dial;
  }

  /** A connection for one exchange; give it back with {@link #release}. */
  CompletableFuture<Channel> acquire() {
    CompletableFuture<Channel> got = new CompletableFuture<>();
    List<Channel> stale = new ArrayList<>();
    Channel reuse = null;
    boolean dialNew = false;
    synchronized (this) {
      if (closed) {
        got.completeExceptionally(new IllegalStateException("the HTTP client is closed"));
        return got;
      }
      Idle i;
      while (reuse == null && (i = idle.pollLast()) != null) {
        i.expiry().cancel(false);
        if (i.channel().isActive() && reusable.test(i.channel())) {
          reuse = i.channel();
        } else {
          stale.add(i.channel());
        }
      }
      if (reuse == null) {
        if (open < max) {
          open++;
          dialNew = true;
        } else {
          waiters.add(got);
        }
      }
    }
    stale.forEach(Channel::close); // the close listener does the counting
    if (reuse != null) {
      got.complete(reuse);
    } else if (dialNew) {
      dial(got);
    }
    return got;
  }

  /**
   * Gives a connection back after an exchange: kept (or handed to a waiting request) when
   * {@code keep} and it is still usable, closed otherwise.
   */
  void release(Channel ch, boolean keep) {
    if (!keep || !ch.isActive() || !reusable.test(ch)) {
      ch.close();
      return;
    }
    CompletableFuture<Channel> waiter;
    boolean close = false;
    synchronized (this) {
      waiter = nextWaiter();
      if (waiter == null) {
        if (closed) {
          close = true;
        } else {
          Future<?> expiry = ch.eventLoop().schedule(() -> expire(ch), idleMillis,
              TimeUnit.MILLISECONDS);
          idle.add(new Idle(ch, expiry));
        }
      }
    }
    if (close) {
      ch.close();
    } else if (waiter != null && !waiter.complete(ch)) {
      release(ch, true);
    }
  }

  /** Closes every idle connection (the SSRF policy changed: the next request dials afresh). */
  void closeIdle() {
    closeIdleWhere(ch -> true);
  }

  /** Closes idle connections now and in-use ones when they come back; fails waiting requests. */
  void close() {
    List<CompletableFuture<Channel>> failed;
    synchronized (this) {
      closed = true;
      failed = new ArrayList<>(waiters);
      waiters.clear();
    }
    failed.forEach(w -> w.completeExceptionally(new IllegalStateException("the HTTP client is closed")));
    closeIdle();
  }

  synchronized int idleCount() {
    return idle.size();
  }

  synchronized int openCount() {
    return open;
  }

  private void closeIdleWhere(Predicate<Channel> which) {
    List<Channel> toClose = new ArrayList<>();
    synchronized (this) {
      idle.removeIf(i -> {
        if (!which.test(i.channel())) {
          return false;
        }
        i.expiry().cancel(false);
        toClose.add(i.channel());
        return true;
      });
    }
    toClose.forEach(Channel::close);
  }

  private void expire(Channel ch) {
    closeIdleWhere(c -> c == ch);
  }

  private void dial(CompletableFuture<Channel> got) {
    ChannelFuture connect = dial.get();
    connect.addListener((ChannelFuture cf) -> {
      if (cf.isSuccess()) {
        Channel ch = cf.channel();
        ch.closeFuture().addListener(f -> closed(ch));
        if (!got.complete(ch)) {
          release(ch, true); // the request gave up while this connection was being made
        }
      } else {
        got.completeExceptionally(cf.cause());
        slotFreed();
      }
    });
  }

  private void closed(Channel ch) {
    synchronized (this) {
      idle.removeIf(i -> {
        if (i.channel() != ch) {
          return false;
        }
        i.expiry().cancel(false);
        return true;
      });
    }
    slotFreed();
  }

  /** One connection fewer: the longest waiting request, if any, gets a new one. */
  private void slotFreed() {
    CompletableFuture<Channel> waiter;
    synchronized (this) {
      open--;
      waiter = closed ? null : nextWaiter();
      if (waiter != null) {
        open++;
      }
    }
    if (waiter != null) {
      dial(waiter);
    }
  }

  /** Under the monitor: the next request still waiting (ones that timed out are dropped). */
  private CompletableFuture<Channel> nextWaiter() {
    CompletableFuture<Channel> w;
    while ((w = waiters.poll()) != null) {
      if (!w.isDone()) {
        return w;
      }
    }
    return null;
  }
}

package io.trellis.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.trellis.bench.client.BenchClient;
import io.trellis.bench.client.BenchControl;
import io.trellis.bench.client.ClientSettings;
import io.trellis.bench.client.Role;
import io.trellis.bench.stats.Stats;
import io.trellis.bench.stats.Summary;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * One bench run: opens the connections (subscribers first, so they miss nothing), starts the
 * publishers together, prints a line a second, and stops by duration, by message count, or when
 * asked to (Ctrl-C), then returns the {@link Summary}.
 */
public final class BenchRun implements BenchControl {
    /** Connections that may be mid-handshake at once when no connect rate is given. */
    private static final int MAX_PENDING_CONNECTS = 512;
    private static final long DRAIN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** A group of identical connections. */
    public record Group(String kind, int count, IntFunction<String> clientId, IntFunction<Role> role) {
    }

    private final String mode;
    private final ClientSettings settings;
    private final List<Group> groups;
    private final double connectRate;
    private final Duration duration;
    private final Duration warmup;
    private final PrintStream progress;
    private final Stats stats = new Stats();
    private final Set<Class<?>> reportedErrors = ConcurrentHashMap.newKeySet();
    private final List<Channel> channels = new ArrayList<>();
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private volatile boolean stopping;

    /**
     * @param duration how long publishers publish (after warmup), or how long connections are held
     *                 when nobody publishes; zero = until stopped or done by count
     * @param warmup   publishing time before the measured duration, left out of the summary (JIT warm-up)
     */
    public BenchRun(String mode, ClientSettings settings, List<Group> groups, double connectRate, Duration duration,
                    Duration warmup, PrintStream progress) {
        this.mode = mode;
        this.settings = settings;
        this.groups = groups;
        this.connectRate = connectRate;
        this.duration = duration;
        this.warmup = warmup;
        this.progress = progress;
    }

    @Override
    public boolean stopping() {
        return stopping;
    }

    @Override
    public void reportError(String clientId, Throwable cause) {
        if (reportedErrors.add(cause.getClass())) {
            progress.printf("error on %s: %s: %s (further errors of this kind are only counted)%n", clientId,
                    cause.getClass().getSimpleName(), cause.getMessage());
        }
    }

    /** Ends the run early (Ctrl-C); the summary still comes. */
    public void requestStop() {
        stopRequested.countDown();
    }

    public Stats stats() {
        return stats;
    }

    public Summary run() throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        // Subscribers get event loops of their own so that full-speed publishers in the same
        // process cannot starve their reads (that would measure the bench, not the broker).
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(0,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        EventLoopGroup subscriberLoops = new MultiThreadIoEventLoopGroup(0,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-reporter");
            t.setDaemon(true);
            return t;
        });
        Reporter reporter = new Reporter();
        long runStart = System.nanoTime();
        try {
            Bootstrap bootstrap = new Bootstrap().group(loops)
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
            ticker.scheduleAtFixedRate(reporter::tick, 1, 1, TimeUnit.SECONDS);
            // Connecting is not timed by -d: every attempt ends by itself (connect and CONNACK
            // timeouts), and -d then counts from when all are up, on a loaded machine too.
            long deadline = Long.MAX_VALUE;

            List<BenchClient> publishers = new ArrayList<>();
            int total = 0;
            for (Group g : groups) {
                total += g.count();
                Bootstrap b = g.role().apply(1) instanceof Role.Subscriber
                        ? bootstrap.clone(subscriberLoops) : bootstrap;
                List<BenchClient> clients = connect(b, g, deadline);
                if (g.role().apply(1) instanceof Role.Publisher) {
                    publishers.addAll(clients);
                }
                if (stopped(deadline)) {
                    break;
                }
            }
            double connectSeconds = (System.nanoTime() - runStart) / 1e9;
            long connectsOk = stats.connected.get();
            int connections = total;

            long measureStart = System.nanoTime();
            if (!publishers.isEmpty() && !stopped(deadline)) {
                publishers.forEach(BenchClient::startPublishing);
                if (!warmup.isZero()) {
                    progress.println("warming up for " + warmup.toMillis() + " ms (left out of the summary)");
                    stopRequested.await(warmup.toNanos(), TimeUnit.NANOSECONDS);
                    stats.startMeasuring();
                }
                // Publishing gets the whole duration, whatever connecting took.
                measureStart = System.nanoTime();
                deadline = duration.isZero() ? Long.MAX_VALUE : measureStart + duration.toNanos();
                reporter.startMeasuring(measureStart);
            } else {
                // Subscribers and idle connections: held for -d after connecting; figures from the start.
                deadline = duration.isZero() ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
                reporter.startMeasuring(runStart);
                measureStart = runStart;
            }
            awaitEnd(publishers, deadline);
            long measureEnd = System.nanoTime();
            int connectedAtEnd = stats.connected.get();

            stopping = true;
            ticker.shutdownNow();
            disconnectAll();
            double seconds = (measureEnd - measureStart) / 1e9;
            double connectRatePerSec = "conn".equals(mode) && connectSeconds > 0 ? connectsOk / connectSeconds : 0;
            Summary s = Summary.of(mode, connections, stats, seconds, reporter.sentRates(), reporter.recvRates(),
                    connectRatePerSec);
            return new Summary(s.mode(), s.connections(), Math.max(connectedAtEnd, (int) connectsOk), s.connectFailures(),
                    s.errors(), s.sent(), s.received(), s.acked(), s.seconds(), s.sentMedianPerSec(), s.sentOverallPerSec(),
                    s.recvMedianPerSec(), s.recvOverallPerSec(), s.connectRatePerSec(), s.latency());
        } finally {
            stopping = true;
            ticker.shutdownNow();
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            subscriberLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            loops.terminationFuture().awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    private boolean stopped(long deadline) {
        return stopRequested.getCount() == 0 || System.nanoTime() >= deadline;
    }

    /** Opens a group's connections at the connect rate; returns once each is ready or failed. */
    private List<BenchClient> connect(Bootstrap bootstrap, Group g, long deadline) throws InterruptedException {
        List<BenchClient> clients = new ArrayList<>();
        List<CompletableFuture<Boolean>> readies = new ArrayList<>();
        Semaphore pending = new Semaphore(MAX_PENDING_CONNECTS);
        long start = System.nanoTime();
        for (int i = 1; i <= g.count(); i++) {
            if (stopped(deadline)) {
                break;
            }
            if (connectRate > 0) {
                long at = start + (long) ((i - 1) * 1e9 / connectRate);
                long wait;
                while ((wait = at - System.nanoTime()) > 0 && !stopped(deadline)) {
                    LockSupport.parkNanos(wait);
                }
            }
            while (!pending.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopped(deadline)) {
                    break;
                }
            }
            String id = g.clientId().apply(i);
            BenchClient client = new BenchClient(id, settings, g.role().apply(i), stats, this);
            client.ready.whenComplete((ok, e) -> pending.release());
            clients.add(client);
            readies.add(client.ready);
            ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (settings.ssl() != null) {
                        ch.pipeline().addLast(settings.ssl().newHandler(ch.alloc(), settings.host(), settings.port()));
                    }
                    ch.pipeline().addLast(new MqttDecoder(1 << 20), MqttEncoder.INSTANCE, client);
                }
            }).connect(settings.host(), settings.port());
            synchronized (channels) {
                channels.add(f.channel());
            }
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    if (client.ready.complete(false)) {
                        stats.connectFailures.increment();
                        stats.connectsDone.increment();
                        reportError(id, done.cause());
                    }
                }
            });
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(readies.toArray(CompletableFuture[]::new));
        while (!all.isDone() && !stopped(deadline)) {
            try {
                all.get(100, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // keep waiting
            }
        }
        return clients;
    }

    /** Until the deadline, a stop request, or (with --count) every publisher done and the subscribers drained. */
    private void awaitEnd(List<BenchClient> publishers, long deadline) throws InterruptedException {
        boolean counted = !publishers.isEmpty()
                && publishers.stream().allMatch(BenchClient::stopsByCount);
        CompletableFuture<Void> allFinished = counted
                ? CompletableFuture.allOf(publishers.stream().map(p -> p.finished).toArray(CompletableFuture[]::new))
                : new CompletableFuture<>();
        long lastRecv = -1;
        long lastProgress = System.nanoTime();
        while (!stopped(deadline)) {
            if (stopRequested.await(50, TimeUnit.MILLISECONDS)) {
                return;
            }
            if (stats.connected.get() == 0) {
                return; // every connection failed or was dropped: nothing left to measure
            }
            if (allFinished.isDone()) {
                if (!hasSubscribers()) {
                    return;
                }
                long recv = stats.received.sum();
                if (recv != lastRecv) {
                    lastRecv = recv;
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > DRAIN_IDLE_NANOS || recv >= expectedReceived()) {
                    return;
                }
                if (recv >= expectedReceived()) {
                    return;
                }
            }
        }
    }

    private boolean hasSubscribers() {
        return groups.stream().anyMatch(g -> g.role().apply(1) instanceof Role.Subscriber);
    }

    /** Fan-in and fan-out shapes: every subscriber's filter matches every publisher's topic. */
    private long expectedReceived() {
        long published = stats.sent.sum();
        long subs = groups.stream().filter(g -> g.role().apply(1) instanceof Role.Subscriber).mapToLong(Group::count).sum();
        return published * subs;
    }

    private void disconnectAll() {
        List<Channel> copy;
        synchronized (channels) {
            copy = new ArrayList<>(channels);
        }
        List<ChannelFuture> closes = new ArrayList<>();
        for (Channel ch : copy) {
            if (ch.isActive()) {
                ch.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
                        MqttQoS.AT_MOST_ONCE, false, 0)));
            }
            closes.add(ch.close());
        }
        for (ChannelFuture f : closes) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Prints a line a second and keeps the per-second rates for the medians. */
    private final class Reporter {
        private final List<Long> sentRates = new ArrayList<>();
        private final List<Long> recvRates = new ArrayList<>();
        private long lastSent;
        private long lastRecv;
        private long lastConnects;
        private volatile long measureStart;
        private int second;

        void startMeasuring(long at) {
            measureStart = at;
        }

        synchronized void tick() {
            second++;
            long sent = stats.sent.sum();
            long recv = stats.received.sum();
            long connects = stats.connectsDone.sum();
            long ds = sent - lastSent;
            long dr = recv - lastRecv;
            long dc = connects - lastConnects;
            lastSent = sent;
            lastRecv = recv;
            lastConnects = connects;
            if (measureStart != 0) {
                sentRates.add(ds);
                recvRates.add(dr);
            }
            progress.println(String.format(Locale.ROOT,
                    "[%4ds] conns %d (+%d/s)  sent/s %d  recv/s %d  total sent %d recv %d  connect failures %d  errors %d",
                    second, stats.connected.get(), dc, ds, dr, sent, recv, stats.connectFailures.sum(), stats.errors.sum()));
        }

        synchronized List<Long> sentRates() {
            return new ArrayList<>(sentRates);
        }

        synchronized List<Long> recvRates() {
            return new ArrayList<>(recvRates);
        }
    }
}

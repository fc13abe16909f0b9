package io.trellis.bench.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.bench.stats.Stats;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One bench connection: CONNECT, then its {@link Role}. All methods run on the channel's event
 * loop (Netty confines a handler to it), so the fields need no synchronisation.
 *
 * <p>Publishers put {@code System.nanoTime()} into the payload's first 8 bytes; subscribers record
 * receive minus send. CLOCK_MONOTONIC is machine-wide on Linux, so this holds across processes
 * on one machine, not across machines. Latency is measured from the time a message is actually
 * written: a publisher that falls behind its pace does not count its own lag (coordinated
 * omission), which matters only when the load generator itself is saturated.
 */
public final class BenchClient extends SimpleChannelInboundHandler<MqttMessage> {
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Messages written per turn in full-speed mode before yielding the event loop to reads. */
    private static final int BATCH = 256;

    private final String clientId;
    private final ClientSettings settings;
    private final Role role;
    private final Stats stats;
    private final BenchControl control;
    /** Completes with true once connected (and subscribed for subscribers), false on failure. */
    public final CompletableFuture<Boolean> ready = new CompletableFuture<>();
    /** Completes when a publisher has sent its count (and had them acknowledged for QoS > 0). */
    public final CompletableFuture<Void> finished = new CompletableFuture<>();

    private Channel channel;
    private long sent;
    private int inflight;
    private int nextPacketId = 1;
    private long startNanos;
    private boolean connected;
    private boolean pumping;
    private boolean replyPending;
    private ScheduledFuture<?> ticker;
    private ScheduledFuture<?> pinger;

    public BenchClient(String clientId, ClientSettings settings, Role role, Stats stats, BenchControl control) {
        this.clientId = clientId;
        this.settings = settings;
        this.role = role;
        this.stats = stats;
        this.control = control;
        ready.thenAccept(ok -> {
            if (!ok) {
                finished.complete(null); // a connection that never came up has nothing left to send
            }
        });
    }

    /** Whether this publisher stops by itself after --count messages. */
    public boolean stopsByCount() {
        return role instanceof Role.Publisher pub && pub.count() > 0;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect()
                .clientId(clientId)
                .protocolVersion(settings.version())
                .cleanSession(true)
                .keepAlive(settings.keepaliveSeconds());
        if (settings.username() != null) {
            connect.hasUser(true).username(settings.username());
        }
        if (settings.password() != null) {
            connect.hasPassword(true).password(settings.password());
        }
        ctx.writeAndFlush(connect.build());
        ctx.executor().schedule(() -> {
            if (ready.complete(false)) {
                if (connected) {
                    stats.errors.increment(); // connected, but no SUBACK
                    control.reportError(clientId, new IllegalStateException("no SUBACK within 15 s"));
                } else {
                    stats.connectFailures.increment();
                    stats.connectsDone.increment();
                    control.reportError(clientId, new IllegalStateException("no CONNACK within 15 s"));
                }
                ctx.close();
            }
        }, 15, TimeUnit.SECONDS);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
        if (msg.decoderResult().isFailure()) {
            stats.errors.increment();
            ctx.close();
            return;
        }
        MqttFixedHeader header = msg.fixedHeader();
        switch (header.messageType()) {
            case CONNACK -> onConnAck(ctx, (MqttConnAckMessage) msg);
            case SUBACK -> onSubAck((MqttSubAckMessage) msg);
            case PUBLISH -> onPublish(ctx, (MqttPublishMessage) msg);
            case PUBACK, PUBCOMP -> onAck();
            case PUBREC -> reply(ctx, new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false,
                    MqttQoS.AT_LEAST_ONCE, false, 0), msg.variableHeader()));
            case PUBREL -> reply(ctx, new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBCOMP, false,
                    MqttQoS.AT_MOST_ONCE, false, 0), msg.variableHeader()));
            case PINGRESP -> { }
            case DISCONNECT -> { } // the close that follows is counted in channelInactive
            default -> stats.errors.increment();
        }
    }

    private void onConnAck(ChannelHandlerContext ctx, MqttConnAckMessage ack) {
        stats.connectsDone.increment();
        if (ack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            stats.connectFailures.increment();
            ready.complete(false);
            ctx.close();
            return;
        }
        connected = true;
        stats.connected.incrementAndGet();
        if (settings.keepaliveSeconds() > 0) {
            long every = Math.max(1, settings.keepaliveSeconds() * 3L / 4);
            pinger = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(new MqttMessage(
                    new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0))),
                    every, every, TimeUnit.SECONDS);
        }
        if (role instanceof Role.Subscriber sub) {
            ctx.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription(settings.qos(), sub.filter()).build());
        } else {
            ready.complete(true);
        }
    }

    private void onSubAck(MqttSubAckMessage ack) {
        boolean ok = ack.payload().grantedQoSLevels().stream().allMatch(q -> q < 0x80);
        if (!ok) {
            stats.errors.increment();
        }
        ready.complete(ok);
    }

    private void onPublish(ChannelHandlerContext ctx, MqttPublishMessage msg) {
        long now = System.nanoTime();
        stats.received.increment();
        ByteBuf payload = msg.payload();
        if (payload.readableBytes() >= Long.BYTES) {
            stats.recordLatency(now - payload.getLong(payload.readerIndex()));
        }
        int id = msg.variableHeader().packetId();
        MqttQoS qos = msg.fixedHeader().qosLevel();
        if (qos == MqttQoS.AT_LEAST_ONCE) {
            reply(ctx, new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE,
                    false, 0), MqttMessageIdVariableHeader.from(id)));
        } else if (qos == MqttQoS.EXACTLY_ONCE) {
            reply(ctx, new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREC, false, MqttQoS.AT_MOST_ONCE,
                    false, 0), MqttMessageIdVariableHeader.from(id)));
        }
    }

    /** Acks are written now and flushed once per read burst (channelReadComplete), not one syscall each. */
    private void reply(ChannelHandlerContext ctx, MqttMessage ack) {
        ctx.write(ack, ctx.voidPromise());
        replyPending = true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (replyPending) {
            replyPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    /** Starts publishing; called by the bench once every publisher (and subscriber) is ready. */
    public void startPublishing() {
        if (channel == null) {
            finished.complete(null);
            return;
        }
        channel.eventLoop().execute(() -> {
            if (!(role instanceof Role.Publisher pub) || !channel.isActive()) {
                finished.complete(null);
                return;
            }
            startNanos = System.nanoTime();
            if (pub.intervalNanos() == 0) {
                pump();
            } else {
                // A random phase spreads connections over the interval instead of bursting together.
                long phase = ThreadLocalRandom.current().nextLong(pub.intervalNanos());
                startNanos += phase;
                long tick = Math.max(TICK_NANOS, pub.intervalNanos());
                ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, phase, tick, TimeUnit.NANOSECONDS);
            }
        });
    }

    private void tick() {
        Role.Publisher pub = (Role.Publisher) role;
        if (control.stopping() || !channel.isActive()) {
            return;
        }
        long due = (System.nanoTime() - startNanos) / pub.intervalNanos() + 1 - sent;
        boolean wrote = false;
        while (due-- > 0 && canSend(pub)) {
            publish(pub);
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
        checkFinished(pub);
    }

    /** Full speed: write while the socket keeps up and the inflight window has room. */
    private void pump() {
        Role.Publisher pub = (Role.Publisher) role;
        if (pumping || control.stopping() || !channel.isActive() || pub.intervalNanos() != 0) {
            return;
        }
        pumping = true;
        try {
            int n = 0;
            while (n < BATCH && channel.isWritable() && canSend(pub)) {
                publish(pub);
                n++;
            }
            if (n > 0) {
                channel.flush();
            }
            if (n == BATCH && channel.isWritable()) {
                channel.eventLoop().execute(this::pump); // let reads (acks, other channels) run first
            }
        } finally {
            pumping = false;
        }
        checkFinished(pub);
    }

    private boolean canSend(Role.Publisher pub) {
        if (pub.count() > 0 && sent >= pub.count()) {
            return false;
        }
        return settings.qos() == MqttQoS.AT_MOST_ONCE || settings.inflight() == 0 || inflight < settings.inflight();
    }

    private void publish(Role.Publisher pub) {
        ByteBuf payload = channel.alloc().buffer(pub.payloadSize());
        if (pub.payloadSize() >= Long.BYTES) {
            payload.writeLong(System.nanoTime());
            payload.writeZero(pub.payloadSize() - Long.BYTES);
        } else {
            payload.writeZero(pub.payloadSize());
        }
        int packetId = 0;
        if (settings.qos() != MqttQoS.AT_MOST_ONCE) {
            packetId = nextPacketId;
            nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
            inflight++;
        }
        channel.write(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false, settings.qos(), false, 0),
                new MqttPublishVariableHeader(pub.topic(), packetId), payload), channel.voidPromise());
        sent++;
        stats.sent.increment();
    }

    private void onAck() {
        inflight = Math.max(0, inflight - 1);
        stats.acked.increment();
        if (role instanceof Role.Publisher pub) {
            if (pub.intervalNanos() == 0) {
                pump();
            }
            checkFinished(pub);
        }
    }

    private void checkFinished(Role.Publisher pub) {
        if (pub.count() > 0 && sent >= pub.count() && inflight == 0 && !finished.isDone()) {
            if (ticker != null) {
                ticker.cancel(false);
            }
            finished.complete(null);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && role instanceof Role.Publisher && startNanos != 0) {
            pump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (pinger != null) {
            pinger.cancel(false);
        }
        if (connected) {
            stats.connected.decrementAndGet();
            if (!control.stopping()) {
                stats.errors.increment(); // the broker closed a connection in the middle of the run
            }
        } else if (ready.complete(false)) {
            stats.connectFailures.increment();
            stats.connectsDone.increment();
        }
        finished.complete(null);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!control.stopping()) {
            stats.errors.increment();
            control.reportError(clientId, cause);
        }
        ctx.close();
    }
}

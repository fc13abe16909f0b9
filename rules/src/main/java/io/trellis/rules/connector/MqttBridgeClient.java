package io.trellis.rules.connector;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubAckMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.trellis.config.Secret;
import io.trellis.rules.RuleConfigException;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.security.ssrf.SsrfAddressResolverGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT bridge connector: one MQTT 3.1.1 client connection to a remote broker ({@code server}
 * {@code host[:port]}, TLS, {@code username}/{@code password}, a client id from
 * {@code clientid_prefix}), used by {@code mqtt} actions to publish. It dials through the
 * {@link SsrfAddressResolverGroup} and reconnects after a loss with exponential backoff
 * (from {@code initialBackoff}, doubling to 30s). QoS 1 and 2 publishes complete when the remote
 * broker acknowledges them (PUBACK, PUBCOMP); QoS 0 when written. A publish while disconnected fails
 * at once (the action's queue retries it). Thread-safe; I/O runs on the event loop.
 */
public final class MqttBridgeClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MqttBridgeClient.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String host;
    private final int port;
    private final String clientId;
    private final String username;
    private final Secret password;
    private final int keepaliveSeconds;
    private final Duration connectTimeout;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final SsrfAddressResolverGroup resolver;
    private final Duration initialBackoff;
    private final Consumer<ConnectorStatus> statusListener;
    private final Map<Integer, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private volatile Channel channel;
    private volatile boolean connected;
    private volatile boolean closed;
    private int nextPacketId = 1;
    private long backoffMs;

    private MqttBridgeClient(ConnectorBody body, String host, int port, SslContext ssl, EventLoopGroup group,
                             SsrfAddressResolverGroup resolver, Duration initialBackoff, Consumer<ConnectorStatus> statusListener)
            throws RuleConfigException {
        this.host = host;
        this.port = port;
        String prefix = body.clientidPrefix() == null ? "" : body.clientidPrefix();
        this.clientId = prefix + "trellis_bridge_" + body.name() + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000000));
        this.username = body.username();
        this.password = body.password();
        this.keepaliveSeconds = (int) HttpConnector.duration("keepalive", body.keepalive(), Duration.ofSeconds(60)).toSeconds();
        this.connectTimeout = HttpConnector.duration("connect_timeout", body.connectTimeout(), Duration.ofSeconds(15));
        this.ssl = ssl;
        this.group = group;
        this.resolver = resolver;
        this.initialBackoff = initialBackoff;
        this.backoffMs = initialBackoff.toMillis();
        this.statusListener = statusListener;
    }

    /** Checks the body; {@link #start()} connects. */
    public static MqttBridgeClient create(ConnectorBody body, EventLoopGroup group, SsrfAddressResolverGroup resolver,
                                          Duration initialBackoff, Consumer<ConnectorStatus> statusListener) throws RuleConfigException {
        String server = body.server();
        if (server == null || server.isBlank()) throw new RuleConfigException("server", "server: required, e.g. broker.example.com:1883");
        String s = server.strip();
        String h = s;
        int p = 1883;
        int colon = s.lastIndexOf(':');
        if (colon > 0 && (s.indexOf(':') == colon || s.startsWith("["))) {
            h = s.substring(0, colon);
            try {
                p = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) throw new RuleConfigException("server", "server: port must be 1..65535 in '" + server + "'");
        }
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        if (h.isEmpty()) throw new RuleConfigException("server", "server: no host in '" + server + "'");
        return new MqttBridgeClient(body, h, p, ClientTls.context(body.ssl()), group, resolver, initialBackoff, statusListener);
    }

    public String clientId() {
        return clientId;
    }

    public boolean isConnected() {
        return connected;
    }

    public void start() {
        statusListener.accept(ConnectorStatus.of(ConnectorStatus.State.CONNECTING));
        connect();
    }

    private void connect() {
        if (closed) return;
        new Bootstrap().group(group).channel(NioSocketChannel.class).resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), host, port));
                        ch.pipeline().addLast("decoder", new MqttDecoder());
                        ch.pipeline().addLast("encoder", MqttEncoder.INSTANCE);
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, keepaliveSeconds, 0));
                        ch.pipeline().addLast("bridge", new Handler());
                    }
                })
                .connect(InetSocketAddress.createUnresolved(host, port))
                .addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        lost(Failures.describe(f.cause()));
                        return;
                    }
                    channel = f.channel();
                    if (closed) {
                        f.channel().close();
                        return;
                    }
                    var connect = MqttMessageBuilders.connect().clientId(clientId).protocolVersion(MqttVersion.MQTT_3_1_1)
                            .cleanSession(true).keepAlive(keepaliveSeconds);
                    if (username != null) connect.hasUser(true).username(username);
                    if (password != null) connect.hasPassword(true).password(password.reveal().getBytes(StandardCharsets.UTF_8));
                    f.channel().writeAndFlush(connect.build());
                });
    }

    /** Connection failed or was lost: fail what is pending, report, reconnect later. */
    private void lost(String reason) {
        connected = false;
        pending.values().forEach(p -> p.completeExceptionally(new java.io.IOException("bridge connection lost: " + reason)));
        pending.clear();
        if (closed) return;
        statusListener.accept(new ConnectorStatus(ConnectorStatus.State.DISCONNECTED, reason));
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF.toMillis(), backoffMs * 2);
        LOG.debug("bridge {}:{} disconnected ({}); reconnecting in {} ms", host, port, reason, delay);
        try {
            group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // the engine is closing
        }
    }

    /** Publishes one message; completes when written (QoS 0) or acknowledged (QoS 1, 2). */
    public CompletableFuture<Void> publish(String topic, byte[] payload, int qos, boolean retain) {
        Channel ch = channel;
        if (!connected || ch == null) {
            return CompletableFuture.failedFuture(new java.io.IOException("bridge to " + host + ":" + port + " is not connected"));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        ch.eventLoop().execute(() -> {
            int id = 0;
            if (qos > 0) {
                id = allocatePacketId();
                pending.put(id, done);
            }
            MqttMessage msg = MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).retained(retain)
                    .messageId(id).payload(Unpooled.wrappedBuffer(payload)).build();
            int sentId = id;
            ch.writeAndFlush(msg).addListener(w -> {
                if (!w.isSuccess()) {
                    if (sentId > 0) pending.remove(sentId);
                    done.completeExceptionally(w.cause());
                } else if (qos == 0) {
                    done.complete(null);
                }
            });
        });
        return done;
    }

    /** Event loop only. */
    private int allocatePacketId() {
        for (int i = 0; i < 65535; i++) {
            int id = nextPacketId;
            nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
            if (!pending.containsKey(id)) return id;
        }
        throw new IllegalStateException("no free packet id: 65535 publishes in flight");
    }

    @Override
    public void close() {
        closed = true;
        connected = false;
        Channel ch = channel;
        if (ch != null) {
            if (ch.isActive()) ch.writeAndFlush(MqttMessage.DISCONNECT);
            ch.close();
        }
        pending.values().forEach(p -> p.completeExceptionally(new java.io.IOException("bridge closed")));
        pending.clear();
    }

    private final class Handler extends SimpleChannelInboundHandler<MqttMessage> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
            if (msg.decoderResult().isFailure()) {
                ctx.close();
                return;
            }
            switch (msg.fixedHeader().messageType()) {
                case CONNACK -> {
                    MqttConnectReturnCode code = ((MqttConnAckMessage) msg).variableHeader().connectReturnCode();
                    if (code == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                        connected = true;
                        backoffMs = initialBackoff.toMillis();
                        statusListener.accept(ConnectorStatus.of(ConnectorStatus.State.CONNECTED));
                    } else {
                        LOG.debug("bridge {}:{} refused: {}", host, port, code);
                        refusal = "remote broker refused the connection: " + code;
                        ctx.close();
                    }
                }
                case PUBACK -> complete(((MqttPubAckMessage) msg).variableHeader().messageId());
                case PUBREC -> {
                    int id = ((MqttMessageIdVariableHeader) msg.variableHeader()).messageId();
                    ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                            MqttMessageIdVariableHeader.from(id)));
                }
                case PUBCOMP -> complete(((MqttMessageIdVariableHeader) msg.variableHeader()).messageId());
                default -> {
                }
            }
        }

        private String refusal;

        private void complete(int id) {
            CompletableFuture<Void> p = pending.remove(id);
            if (p != null) p.complete(null);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) ctx.writeAndFlush(MqttMessage.PINGREQ);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lost(refusal != null ? refusal : "connection closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            refusal = Failures.describe(cause);
            ctx.close();
        }
    }
}

package io.trellis.mqtt.connection;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.trellis.mqtt.auth.AccessControl;
import io.trellis.mqtt.auth.ConnectDecision;
import io.trellis.mqtt.auth.PeerCertificates;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerMetrics;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.broker.Session;
import io.trellis.mqtt.broker.SessionOwner;
import io.trellis.mqtt.broker.Subscription;
import io.trellis.mqtt.topic.InvalidTopicException;
import io.trellis.mqtt.topic.TopicFilter;
import io.trellis.mqtt.topic.Topics;
import io.trellis.mqtt.transport.ChannelHandlerNames;
import io.trellis.security.authn.ConnectInfo;
import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzCache;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.Authorizer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT connection (3.1, 3.1.1, 5.0): CONNECT, the packet flows, DISCONNECT, will, keepalive.
 * Event-loop confined (its channel's loop). Every protocol error leaves through {@link #fail}:
 * a v5 DISCONNECT (or CONNACK before CONNECT is accepted) with the reason, a single log line at
 * debug, then close. Client faults never log a stack trace.
 *
 * <p>Authorization of a PUBLISH or SUBSCRIBE is synchronous when the sources answer at once; when one
 * needs I/O (HTTP) the connection stops reading, queues what was already decoded, and goes on in
 * order once the answer is back on its loop ({@link #awaitAuthorization}).
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter implements SessionOwner {
    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
    private static final AttributeKey<MqttVersion> CODEC_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    private static final int MAX_PENDING = 1024;
    /**
     * Packets held back while an authorization answer is pending. Reads stop when the wait starts, so
     * only what the last read had decoded can queue: the bound is a guard, not a limit a client meets.
     */
    private static final int MAX_QUEUED_WHILE_AUTHORIZING = 65_536;
    /** Reason strings are cut here: a hint for a human, not a place for a 64KB topic name. */
    private static final int MAX_REASON_CHARS = 200;
    private static final java.util.regex.Pattern NUMBERS = java.util.regex.Pattern.compile("\\d+");

    /** MQTT 5 reason codes used here (section 2.4). */
    static final byte RC_NORMAL = 0x00;
    static final byte RC_DISCONNECT_WITH_WILL = 0x04;
    static final byte RC_NO_MATCHING_SUBSCRIBERS = 0x10;
    static final byte RC_NO_SUBSCRIPTION_EXISTED = 0x11;
    static final byte RC_MALFORMED = (byte) 0x81;
    static final byte RC_PROTOCOL_ERROR = (byte) 0x82;
    static final byte RC_SERVER_SHUTTING_DOWN = (byte) 0x8B;
    static final byte RC_KEEPALIVE_TIMEOUT = (byte) 0x8D;
    static final byte RC_SESSION_TAKEN_OVER = (byte) 0x8E;
    static final byte RC_TOPIC_FILTER_INVALID = (byte) 0x8F;
    static final byte RC_TOPIC_NAME_INVALID = (byte) 0x90;
    static final byte RC_PACKET_ID_NOT_FOUND = (byte) 0x92;
    static final byte RC_RECEIVE_MAXIMUM_EXCEEDED = (byte) 0x93;
    static final byte RC_TOPIC_ALIAS_INVALID = (byte) 0x94;
    static final byte RC_PACKET_TOO_LARGE = (byte) 0x95;
    static final byte RC_NOT_AUTHORIZED = (byte) 0x87;
    static final byte RC_ADMINISTRATIVE_ACTION = (byte) 0x98;
    static final byte RC_RETAIN_NOT_SUPPORTED = (byte) 0x9A;
    static final byte RC_QOS_NOT_SUPPORTED = (byte) 0x9B;
    static final byte RC_SHARED_NOT_SUPPORTED = (byte) 0x9E;
    static final byte RC_WILDCARD_NOT_SUPPORTED = (byte) 0xA2;
    static final int SUBACK_FAILURE = 0x80;

    private enum State { AWAIT_CONNECT, CONNECTING, CONNECTED, CLOSED }

    private final Broker broker;
    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final String listenerId;
    private Channel channel;
    private State state = State.AWAIT_CONNECT;
    private int version = 4;
    private String clientId;
    private Session session;
    private Message will;
    private long willDelaySeconds;
    private boolean connectExpiryZero;
    private HashMap<Integer, String> topicAliases;
    private ArrayDeque<MqttMessage> pending;
    private AccessControl access;
    private AuthzClient authzClient;
    private AuthzCache authzCache;
    /** A PUBLISH or SUBSCRIBE waits for an authorization answer: later packets queue in {@link #pending}. */
    private boolean awaitingAuthz;
    /** Closing after a protocol error or DISCONNECT: nothing more the client sent is handled. */
    private boolean closing;
    /** MQTT 5 Request Problem Information (3.1.2.11.7): 0 = reason strings only on CONNACK and DISCONNECT. */
    private boolean problemInformation = true;
    /** The client's Maximum Packet Size: a reason string that would push a packet above it is left out. */
    private int clientMaxPacket = Integer.MAX_VALUE;
    /** The server's Receive Maximum, advertised in CONNACK: mqtt.max_awaiting_rel capped to 1..65535. */
    private final int receiveMaximumIn;
    /** QoS 2 PUBLISHes received on this connection and not yet released (PUBREL): its receive quota in use. */
    private java.util.HashSet<Integer> inflightIn;

    /** @param listenerId the listener's id ("tcp:default"), one shared string per listener */
    public MqttConnection(Broker broker, String listenerId) {
        this.broker = broker;
        this.settings = broker.settings();
        this.metrics = broker.metrics();
        this.listenerId = listenerId;
        this.receiveMaximumIn = serverReceiveMaximum(settings);
    }

    /** mqtt.max_awaiting_rel as an MQTT 5 Receive Maximum (0 or less = unlimited, i.e. the protocol's 65535). */
    static int serverReceiveMaximum(BrokerSettings settings) {
        int max = settings.maxAwaitingRel();
        return max <= 0 ? 65535 : Math.max(1, Math.min(65535, max));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MqttMessage m)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (state == State.CLOSED || closing) return;
            metrics.packetsReceived.increment();
            if (m.decoderResult().isFailure()) {
                onDecodeFailure(m.decoderResult().cause());
                return;
            }
            if (state == State.CONNECTING || awaitingAuthz) {
                if (pending == null) pending = new ArrayDeque<>();
                if (pending.size() >= (awaitingAuthz ? MAX_QUEUED_WHILE_AUTHORIZING : MAX_PENDING)) {
                    fail(RC_RECEIVE_MAXIMUM_EXCEEDED, awaitingAuthz ? "sent too many packets while authorization was pending"
                            : "sent too many packets before CONNACK");
                    return;
                }
                pending.add(ReferenceCountUtil.retain(m));
                return;
            }
            dispatch(m);
        } finally {
            ReferenceCountUtil.release(m);
        }
    }

    private void dispatch(MqttMessage m) {
        MqttMessageType type = m.fixedHeader().messageType();
        if (state == State.AWAIT_CONNECT && type != MqttMessageType.CONNECT) {
            LOG.debug("{}: first packet was {}, not CONNECT; closing", remote(), type);
            close();
            return;
        }
        switch (type) {
            case CONNECT -> {
                if (state != State.AWAIT_CONNECT) fail(RC_PROTOCOL_ERROR, "sent a second CONNECT");
                else onConnect((MqttConnectMessage) m);
            }
            case PUBLISH -> onPublish((MqttPublishMessage) m);
            case PUBACK -> session.onPuback(packetId(m));
            case PUBREC -> onPubrec(m);
            case PUBREL -> onPubrel(m);
            case PUBCOMP -> session.onPubcomp(packetId(m));
            case SUBSCRIBE -> onSubscribe((MqttSubscribeMessage) m);
            case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) m);
            case PINGREQ -> {
                metrics.packetsPingreqReceived.increment();
                write(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            }
            case DISCONNECT -> onDisconnect(m);
            default -> fail(RC_PROTOCOL_ERROR, "sent a " + type + " packet, which only a server sends");
        }
    }

    // ------------------------------------------------------------------ CONNECT

    private void onConnect(MqttConnectMessage c) {
        metrics.packetsConnectReceived.increment();
        MqttConnectVariableHeader vh = c.variableHeader();
        MqttConnectPayload payload = c.payload();
        version = vh.version();
        boolean cleanStart = vh.isCleanSession();
        MqttProperties props = vh.properties();
        if (version == 5) { // read first: they shape the reason string of any refusal below
            problemInformation = intProperty(props, MqttProperties.REQUEST_PROBLEM_INFORMATION, 1) != 0;
            long max = unsigned(intProperty(props, MqttProperties.MAXIMUM_PACKET_SIZE, Integer.MAX_VALUE));
            if (max > 0) clientMaxPacket = (int) Math.min(Integer.MAX_VALUE, max);
        }
        String id = payload.clientIdentifier();
        access = broker.accessControl();
        PeerCertificates cert = PeerCertificates.of(channel);
        InetAddress peer = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        // peer_cert_as_*: the verified certificate names the client before anything checks the id.
        ConnectInfo info = access.peerCertAsUsername().applyToUsername(access.peerCertAsClientId().applyToClientId(
                new ConnectInfo(id == null ? "" : id, payload.userName(), payload.passwordInBytes(), peer, listenerId,
                        cert.commonName(), cert.subjectDn())));
        id = info.clientId();
        boolean assigned = false;
        if (id == null || id.isEmpty()) {
            if (version < 5 && !cleanStart) { // MQTT-3.1.3-7
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED,
                        "empty client id without clean session");
                return;
            }
            id = "trellis-" + UUID.randomUUID().toString().replace("-", "");
            assigned = version == 5;
        }
        if (id.length() > settings.maxClientIdLen()) {
            refuse(version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
                    : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED,
                    "client id longer than mqtt.max_clientid_len = " + settings.maxClientIdLen());
            return;
        }
        long expiry;
        int receiveMaximum = 65535;
        int clientMaxPacket = Integer.MAX_VALUE;
        if (version == 5) {
            expiry = unsigned(intProperty(props, MqttProperties.SESSION_EXPIRY_INTERVAL, 0));
            receiveMaximum = intProperty(props, MqttProperties.RECEIVE_MAXIMUM, 65535);
            long maxPacket = unsigned(intProperty(props, MqttProperties.MAXIMUM_PACKET_SIZE, Integer.MAX_VALUE));
            clientMaxPacket = (int) Math.min(Integer.MAX_VALUE, maxPacket);
            if (receiveMaximum == 0 || maxPacket == 0) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR, "receive maximum or maximum packet size 0");
                return;
            }
        } else if (cleanStart) {
            expiry = 0;
        } else {
            expiry = settings.sessionExpiryInterval().equals(BrokerSettings.INFINITY) ? Broker.NEVER_EXPIRES
                    : Math.min(Broker.NEVER_EXPIRES - 1, settings.sessionExpiryInterval().toSeconds());
        }
        connectExpiryZero = expiry == 0;
        if (vh.isWillFlag() && !acceptWill(vh, payload, id)) return;

        if (assigned || !id.equals(info.clientId())) {
            info = new ConnectInfo(id, info.username(), info.password(), info.peerAddress(), info.listenerId(),
                    info.certCommonName(), info.certSubjectDn());
        }
        state = State.CONNECTING;
        channel.config().setAutoRead(false); // packets after CONNECT wait until the session is ready
        String clientIdentifier = id;
        boolean assignedId = assigned;
        long exp0 = expiry;
        int window0 = receiveMaximum;
        int maxPacket0 = clientMaxPacket;
        ConnectInfo who = info;
        CompletionStage<ConnectDecision> decision;
        try {
            decision = access.authenticate(info);
        } catch (RuntimeException e) {
            decision = CompletableFuture.completedFuture(ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                    "authentication failed (" + e.getClass().getSimpleName() + ")"));
        }
        decision.whenComplete((d, error) -> onLoop(() -> {
            if (state != State.CONNECTING) return; // the client left while it was being authenticated
            ConnectDecision result = error != null
                    ? ConnectDecision.refused(ConnectDecision.Outcome.NOT_AUTHORIZED,
                            "authentication failed (" + error.getClass().getSimpleName() + ")")
                    : d;
            if (!result.isAllowed()) {
                refuseAuthentication(result);
                return;
            }
            authzClient = new AuthzClient(clientIdentifier, who.username(), peer, result.superuser());
            authzCache = access.newCache();
            admit(vh, clientIdentifier, assignedId, cleanStart, exp0, window0, maxPacket0, who.username());
        }));
    }

    private void refuseAuthentication(ConnectDecision d) {
        MqttConnectReturnCode code = switch (d.outcome()) {
            case BAD_CREDENTIALS -> version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
                    : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
            case BANNED -> version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BANNED
                    : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
            default -> version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
                    : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
        };
        will = null;
        if (pending != null) {
            pending.forEach(ReferenceCountUtil::release);
            pending = null;
        }
        // The client learns the outcome only: the backend's own reason may name internals.
        String told = switch (d.outcome()) {
            case BAD_CREDENTIALS -> "bad username or password";
            case BANNED -> "banned";
            default -> "not authorized";
        };
        refuse(code, d.reason(), told);
    }

    /** Authenticated: claims the session and sends CONNACK (on this connection's loop). */
    private void admit(MqttConnectVariableHeader vh, String id, boolean assigned, boolean cleanStart, long expiry,
                       int receiveMaximum, int clientMaxPacket, String username) {
        int keepalive = vh.keepAliveTimeSeconds();
        // Only an MQTT 5 client is told the server's keepalive (CONNACK property); a 3.1.1 client
        // keeps its own, or it would be cut while pinging as it promised.
        boolean serverKeepalive = version == 5 && settings.serverKeepalive() > 0;
        if (serverKeepalive) keepalive = settings.serverKeepalive();
        setKeepalive(keepalive);

        clientId = id;
        io.trellis.mqtt.cluster.ClusterBridge cluster = broker.cluster();
        if (cluster == io.trellis.mqtt.cluster.ClusterBridge.NONE) {
            claimSession(id, cleanStart, assigned, keepalive, serverKeepalive, username, receiveMaximum, clientMaxPacket, expiry);
            return;
        }
        // Clustered: the session may live on another node, which hands it over first (asynchronously).
        String cid = id;
        boolean assignedId = assigned;
        int ka = keepalive;
        int rm = receiveMaximum;
        int cmp = clientMaxPacket;
        long exp = expiry;
        cluster.connecting(id, cleanStart).whenComplete((taken, failure) -> channel.eventLoop().execute(() -> {
            if (taken != null && !cleanStart) broker.importSession(taken, channel.eventLoop());
            claimSession(cid, cleanStart, assignedId, ka, serverKeepalive, username, rm, cmp, exp);
        }));
    }

    private void claimSession(String id, boolean cleanStart, boolean assigned, int keepalive, boolean serverKeepalive,
                              String username, int receiveMaximum, int clientMaxPacket, long expiry) {
        Broker.Claim claim = broker.claim(id, cleanStart, this, channel.eventLoop());
        if (claim.previousOwner() instanceof SessionOwner old && old != this) old.takenOver();
        if (claim.discarded() != null) broker.discard(claim.discarded());

        MqttProperties ack = MqttProperties.NO_PROPERTIES;
        if (version == 5) {
            ack = new MqttProperties();
            if (assigned) ack.add(new MqttProperties.StringProperty(MqttProperties.ASSIGNED_CLIENT_IDENTIFIER, id));
            if (serverKeepalive) ack.add(new MqttProperties.IntegerProperty(MqttProperties.SERVER_KEEP_ALIVE, keepalive));
            ack.add(new MqttProperties.IntegerProperty(MqttProperties.TOPIC_ALIAS_MAXIMUM, Math.min(65535, settings.maxTopicAlias())));
            ack.add(new MqttProperties.IntegerProperty(MqttProperties.MAXIMUM_PACKET_SIZE, settings.maxPacketSize()));
            ack.add(new MqttProperties.IntegerProperty(MqttProperties.RECEIVE_MAXIMUM, receiveMaximumIn));
            if (settings.maxQosAllowed() < 2) ack.add(new MqttProperties.IntegerProperty(MqttProperties.MAXIMUM_QOS, settings.maxQosAllowed()));
            if (!settings.retainAvailable()) ack.add(new MqttProperties.IntegerProperty(MqttProperties.RETAIN_AVAILABLE, 0));
            if (!settings.wildcardSubscription()) ack.add(new MqttProperties.IntegerProperty(MqttProperties.WILDCARD_SUBSCRIPTION_AVAILABLE, 0));
            if (!settings.sharedSubscription()) ack.add(new MqttProperties.IntegerProperty(MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE, 0));
        }
        Session s = claim.session();
        Session.ClientSnapshot snapshot = new Session.ClientSnapshot(username, channel.remoteAddress(),
                listenerId, version, keepalive, cleanStart, System.currentTimeMillis());
        int window = receiveMaximum;
        int maxPacket = clientMaxPacket;
        long exp = expiry;
        MqttProperties connackProps = ack;
        Runnable ready = () -> sessionReady(s, claim.present(), window, maxPacket, exp, snapshot, connackProps);
        if (claim.present()) broker.handOver(s, channel.eventLoop(), ready);
        else ready.run();
    }

    private boolean acceptWill(MqttConnectVariableHeader vh, MqttConnectPayload payload, String id) {
        String topic = payload.willTopic();
        try {
            Topics.validateName(topic == null ? "" : topic, settings.maxTopicLevels());
        } catch (InvalidTopicException e) {
            refuse(version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_TOPIC_NAME_INVALID
                    : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE, "invalid will topic: " + e.getMessage());
            return false;
        }
        if (vh.willQos() > settings.maxQosAllowed()) {
            refuse(version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_QOS_NOT_SUPPORTED
                    : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE, "will QoS above mqtt.max_qos_allowed");
            return false;
        }
        if (vh.isWillRetain() && !settings.retainAvailable()) {
            refuse(version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_RETAIN_NOT_SUPPORTED
                    : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE, "will retain while mqtt.retain_available = false");
            return false;
        }
        MqttProperties wp = payload.willProperties();
        long expiresAt = 0;
        MqttProperties pass = MqttProperties.NO_PROPERTIES;
        if (version == 5 && wp != null && !wp.isEmpty()) {
            willDelaySeconds = unsigned(intProperty(wp, MqttProperties.WILL_DELAY_INTERVAL, 0));
            long exp = unsigned(intProperty(wp, MqttProperties.PUBLICATION_EXPIRY_INTERVAL, 0));
            if (exp > 0) expiresAt = System.currentTimeMillis() + exp * 1000;
            pass = passThrough(wp);
        }
        byte[] body = payload.willMessageInBytes();
        will = new Message(topic, body == null ? new byte[0] : body, vh.willQos(), vh.isWillRetain(), pass, id, expiresAt);
        return true;
    }

    private void sessionReady(Session s, boolean present, int receiveMaximum, int clientMaxPacket, long expiry,
                              Session.ClientSnapshot snapshot, MqttProperties connackProps) {
        session = s;
        if (state == State.CLOSED) { // the client left while its session was being handed over
            broker.release(s, this);
            return;
        }
        s.attach(channel, version, receiveMaximum, clientMaxPacket, expiry, snapshot);
        MqttConnAckMessage ack = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED)
                .sessionPresent(present)
                .properties(connackProps)
                .build();
        write(ack);
        metrics.packetsConnackSent.increment();
        state = State.CONNECTED;
        metrics.clientConnected.increment();
        metrics.connections.increment();
        metrics.liveConnections.increment();
        s.resume();
        drainPending();
    }

    /**
     * Handles the packets that queued (before CONNACK, or behind a pending authorization) in order,
     * until none is left or one waits for authorization again; then reads resume.
     */
    private void drainPending() {
        while (pending != null && !pending.isEmpty() && state == State.CONNECTED && !awaitingAuthz && !closing) {
            MqttMessage m = pending.poll();
            try {
                dispatch(m);
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
        if (state == State.CONNECTED && !awaitingAuthz && !closing) {
            pending = null;
            channel.config().setAutoRead(true);
        }
    }

    private void setKeepalive(int seconds) {
        long millis = (long) (seconds * 1000L * settings.keepaliveMultiplier());
        if (channel.pipeline().get(ChannelHandlerNames.IDLE) == null) return;
        if (seconds == 0) {
            channel.pipeline().remove(ChannelHandlerNames.IDLE);
        } else {
            channel.pipeline().replace(ChannelHandlerNames.IDLE, ChannelHandlerNames.IDLE,
                    new IdleStateHandler(millis, 0, 0, TimeUnit.MILLISECONDS));
        }
    }

    // ------------------------------------------------------------------ PUBLISH and acks

    private void onPublish(MqttPublishMessage p) {
        metrics.packetsPublishReceived.increment();
        int qos = p.fixedHeader().qosLevel().value();
        String topic = p.variableHeader().topicName();
        MqttProperties props = p.variableHeader().properties();
        if (version == 5) {
            MqttProperties.MqttProperty<?> alias = props.getProperty(MqttProperties.TOPIC_ALIAS);
            if (alias != null) {
                int a = (Integer) alias.value();
                if (a == 0 || a > settings.maxTopicAlias()) {
                    fail(RC_TOPIC_ALIAS_INVALID, "used topic alias " + a + " outside 1.." + settings.maxTopicAlias());
                    return;
                }
                if (topic.isEmpty()) {
                    topic = topicAliases == null ? null : topicAliases.get(a);
                    if (topic == null) {
                        fail(RC_PROTOCOL_ERROR, "used topic alias " + a + " before defining it");
                        return;
                    }
                } else {
                    if (topicAliases == null) topicAliases = new HashMap<>();
                    topicAliases.put(a, topic);
                }
            }
        }
        if (qos > settings.maxQosAllowed()) {
            fail(RC_QOS_NOT_SUPPORTED, "published at QoS " + qos + " above mqtt.max_qos_allowed");
            return;
        }
        try {
            Topics.validateName(topic, settings.maxTopicLevels());
            // Netty's decoder turns invalid UTF-8 into U+FFFD; MQTT 1.5.4 says such a name is malformed.
            if (topic.indexOf('\uFFFD') >= 0) throw new InvalidTopicException("topic name is not valid UTF-8");
        } catch (InvalidTopicException e) {
            fail(RC_TOPIC_NAME_INVALID, "published to an invalid topic: " + e.getMessage());
            return;
        }
        boolean retain = p.fixedHeader().isRetain();
        if (retain && !settings.retainAvailable()) {
            fail(RC_RETAIN_NOT_SUPPORTED, "published a retained message while mqtt.retain_available = false");
            return;
        }
        CompletableFuture<Boolean> allowed = authorize(AuthzAction.publish(qos, retain), topic);
        if (allowed.isDone()) {
            publishAuthorized(p, topic, qos, retain, props, isAllowed(allowed));
        } else {
            String t = topic;
            awaitAuthorization(allowed, p, ok -> publishAuthorized(p, t, qos, retain, props, ok));
        }
    }

    /** The rest of a PUBLISH once authorization has answered {@code allowed}. */
    private void publishAuthorized(MqttPublishMessage p, String topic, int qos, boolean retain, MqttProperties props,
                                   boolean allowed) {
        int packetId = p.variableHeader().packetId();
        if (!allowed) {
            metrics.messagesDropped.increment();
            if (access.denyAction() == Authorizer.DenyAction.DISCONNECT) {
                fail(RC_NOT_AUTHORIZED, "published to " + topic + " without permission (deny_action = disconnect)");
                return;
            }
            // MQTT 5 learns why; a 3.1.1 client gets a plain ack so it does not resend, and the message is dropped.
            String why = "not authorized to publish to " + topic;
            if (qos == 1) write(pubReply(MqttMessageType.PUBACK, packetId, RC_NOT_AUTHORIZED, why));
            else if (qos == 2) write(pubReply(MqttMessageType.PUBREC, packetId, RC_NOT_AUTHORIZED, why));
            return;
        }
        if (qos == 2 && session.awaitingRel(packetId)) { // a DUP of a QoS 2 we already routed
            write(pubReply(MqttMessageType.PUBREC, packetId, RC_NORMAL));
            return;
        }
        long expiresAt = 0;
        MqttProperties pass = MqttProperties.NO_PROPERTIES;
        if (version == 5 && !props.isEmpty()) {
            long exp = unsigned(intProperty(props, MqttProperties.PUBLICATION_EXPIRY_INTERVAL, 0));
            if (exp > 0) expiresAt = System.currentTimeMillis() + exp * 1000;
            pass = passThrough(props);
        }
        if (qos == 2 && version == 5 && inflightIn != null && inflightIn.size() >= receiveMaximumIn) {
            // MQTT-3.3.4-9: more unacknowledged QoS 2 PUBLISHes than the CONNACK allowed.
            metrics.messagesDropped.increment();
            fail(RC_RECEIVE_MAXIMUM_EXCEEDED, "sent more than Receive Maximum " + receiveMaximumIn
                    + " unacknowledged QoS 2 PUBLISHes (mqtt.max_awaiting_rel)");
            return;
        }
        if (qos == 2 && !session.addAwaitingRel(packetId)) {
            metrics.messagesDropped.increment();
            fail(RC_RECEIVE_MAXIMUM_EXCEEDED, "exceeded mqtt.max_awaiting_rel = " + settings.maxAwaitingRel());
            return;
        }
        if (qos == 2 && version == 5) {
            if (inflightIn == null) inflightIn = new java.util.HashSet<>();
            inflightIn.add(packetId);
        }
        session.countReceived();
        Message message = new Message(topic, ByteBufUtil.getBytes(p.payload()), qos, retain, pass, clientId, expiresAt);
        int receivers = broker.publish(message);
        byte rc = receivers == 0 ? RC_NO_MATCHING_SUBSCRIBERS : RC_NORMAL;
        if (qos == 1) write(pubReply(MqttMessageType.PUBACK, packetId, rc));
        else if (qos == 2) write(pubReply(MqttMessageType.PUBREC, packetId, rc));
    }

    private void onPubrec(MqttMessage m) {
        int id = packetId(m);
        byte reason = reasonCode(m);
        boolean known = session.onPubrec(id, (reason & 0x80) != 0);
        if ((reason & 0x80) == 0) write(pubReply(MqttMessageType.PUBREL, id, known ? RC_NORMAL : RC_PACKET_ID_NOT_FOUND,
                "packet identifier " + id + " not found"));
    }

    private void onPubrel(MqttMessage m) {
        int id = packetId(m);
        boolean known = session.releaseAwaitingRel(id);
        if (inflightIn != null) inflightIn.remove(id);
        write(pubReply(MqttMessageType.PUBCOMP, id, known ? RC_NORMAL : RC_PACKET_ID_NOT_FOUND,
                "packet identifier " + id + " not found"));
    }

    private MqttMessage pubReply(MqttMessageType type, int packetId, byte reason) {
        return pubReply(type, packetId, reason, null);
    }

    /** @param why the reason string, sent only with a failure code (0x80 and above) */
    private MqttMessage pubReply(MqttMessageType type, int packetId, byte reason, String why) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        MqttFixedHeader fh = new MqttFixedHeader(type, false, qos, false, 0);
        if (version == 5 && reason != RC_NORMAL) {
            MqttProperties props = (reason & 0x80) != 0 ? reasonString(why, 3, false) : MqttProperties.NO_PROPERTIES;
            return new MqttMessage(fh, new MqttPubReplyMessageVariableHeader(packetId, reason, props));
        }
        return new MqttMessage(fh, MqttMessageIdVariableHeader.from(packetId));
    }

    // ------------------------------------------------------------------ SUBSCRIBE / UNSUBSCRIBE

    private void onSubscribe(MqttSubscribeMessage m) {
        metrics.packetsSubscribeReceived.increment();
        int packetId = m.variableHeader().messageId();
        int subId = 0;
        if (version == 5) subId = intProperty(m.idAndPropertiesVariableHeader().properties(), MqttProperties.SUBSCRIPTION_IDENTIFIER, 0);
        List<MqttTopicSubscription> requests = m.payload().topicSubscriptions();
        int[] codes = new int[requests.size()];
        StringBuilder why = new StringBuilder(); // one clause per refused filter, for the reason string
        TopicFilter[] filters = new TopicFilter[codes.length];
        @SuppressWarnings("unchecked")
        CompletableFuture<Boolean>[] answers = new CompletableFuture[codes.length];
        List<CompletableFuture<Boolean>> waiting = null;
        for (int i = 0; i < codes.length; i++) {
            MqttTopicSubscription r = requests.get(i);
            TopicFilter filter;
            try {
                filter = TopicFilter.parse(r.topicFilter(), settings.maxTopicLevels());
                if (r.topicFilter().indexOf('\uFFFD') >= 0) throw new InvalidTopicException("filter is not valid UTF-8");
            } catch (InvalidTopicException e) {
                LOG.debug("client {} subscribed to an invalid filter: {}", clientId, e.getMessage());
                codes[i] = version == 5 ? RC_TOPIC_FILTER_INVALID & 0xFF : SUBACK_FAILURE;
                refused(why, r.topicFilter(), "invalid filter: " + e.getMessage());
                continue;
            }
            if (filter.isShared() && !settings.sharedSubscription()) {
                codes[i] = version == 5 ? RC_SHARED_NOT_SUPPORTED & 0xFF : SUBACK_FAILURE;
                refused(why, r.topicFilter(), "shared subscriptions are disabled (mqtt.shared_subscription)");
                continue;
            }
            if (filter.hasWildcard() && !settings.wildcardSubscription()) {
                codes[i] = version == 5 ? RC_WILDCARD_NOT_SUPPORTED & 0xFF : SUBACK_FAILURE;
                refused(why, r.topicFilter(), "wildcard subscriptions are disabled (mqtt.wildcard_subscription)");
                continue;
            }
            filters[i] = filter;
            // Every filter is asked at once; a SUBSCRIBE waits for the slowest answer, not for their sum.
            answers[i] = authorize(AuthzAction.subscribe(Math.min(2, r.qualityOfService().value())), r.topicFilter());
            if (!answers[i].isDone()) {
                if (waiting == null) waiting = new ArrayList<>();
                waiting.add(answers[i]);
            }
        }
        if (waiting == null) {
            subscribeAuthorized(packetId, subId, requests, filters, answers, codes, why);
        } else {
            int sid = subId;
            awaitAuthorization(CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])), m,
                    done -> subscribeAuthorized(packetId, sid, requests, filters, answers, codes, why));
        }
    }

    /** The rest of a SUBSCRIBE once every filter's authorization has answered. */
    private void subscribeAuthorized(int packetId, int subId, List<MqttTopicSubscription> requests, TopicFilter[] filters,
                                     CompletableFuture<Boolean>[] answers, int[] codes, StringBuilder why) {
        List<Subscription> retainedFor = new ArrayList<>(requests.size());
        for (int i = 0; i < codes.length; i++) {
            if (answers[i] == null) continue; // refused before authorization: its code is set
            MqttTopicSubscription r = requests.get(i);
            TopicFilter filter = filters[i];
            if (!isAllowed(answers[i])) {
                if (access.denyAction() == Authorizer.DenyAction.DISCONNECT) {
                    fail(RC_NOT_AUTHORIZED, "subscribed to " + r.topicFilter() + " without permission (deny_action = disconnect)");
                    return;
                }
                codes[i] = version == 5 ? RC_NOT_AUTHORIZED & 0xFF : SUBACK_FAILURE;
                refused(why, r.topicFilter(), "not authorized");
                continue;
            }
            int granted = Math.min(r.qualityOfService().value(), settings.maxQosAllowed());
            int rh = r.option().retainHandling().value();
            Subscription sub = new Subscription(session, filter, granted, r.option().isNoLocal() && !filter.isShared(),
                    r.option().isRetainAsPublished(), rh, subId);
            Subscription old = session.subscribe(sub);
            metrics.clientSubscribe.increment();
            codes[i] = granted;
            // Retained messages: never for shared subscriptions; handling 1 only for a new subscription.
            if (!filter.isShared() && (rh == 0 || (rh == 1 && old == null))) retainedFor.add(sub);
        }
        MqttFixedHeader fh = new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0);
        MqttProperties props = why.isEmpty() ? MqttProperties.NO_PROPERTIES : reasonString(why.toString(), 2 + codes.length, false);
        write(new MqttSubAckMessage(fh, new MqttMessageIdAndPropertiesVariableHeader(packetId, props),
                new MqttSubAckPayload(codes)));
        for (Subscription sub : retainedFor) broker.deliverRetained(sub);
    }

    private void onUnsubscribe(MqttUnsubscribeMessage m) {
        metrics.packetsUnsubscribeReceived.increment();
        MqttMessageBuilders.UnsubAckBuilder ack = MqttMessageBuilders.unsubAck().packetId(m.variableHeader().messageId());
        List<String> topics = m.payload().topics();
        StringBuilder why = new StringBuilder();
        for (String raw : topics) {
            boolean existed = session.unsubscribe(raw);
            if (existed) metrics.clientUnsubscribe.increment();
            else refused(why, raw, "no subscription existed");
            if (version == 5) ack.addReasonCode(existed ? RC_NORMAL : RC_NO_SUBSCRIPTION_EXISTED);
        }
        if (!why.isEmpty()) ack.properties(reasonString(why.toString(), 2 + topics.size(), false));
        write(ack.build());
    }

    // ------------------------------------------------------------------ DISCONNECT and close

    private void onDisconnect(MqttMessage m) {
        metrics.packetsDisconnectReceived.increment();
        byte reason = reasonCode(m);
        if (version == 5 && m.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h) {
            MqttProperties.MqttProperty<?> exp = h.properties().getProperty(MqttProperties.SESSION_EXPIRY_INTERVAL);
            if (exp != null) {
                long seconds = unsigned((Integer) exp.value());
                if (connectExpiryZero && seconds != 0) { // MQTT-3.14.2-2
                    fail(RC_PROTOCOL_ERROR, "set a session expiry on DISCONNECT after connecting with 0");
                    return;
                }
                session.setExpirySeconds(seconds);
            }
        }
        if (reason != RC_DISCONNECT_WITH_WILL) will = null; // a normal DISCONNECT discards the will
        close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        finish();
        super.channelInactive(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (state == State.CONNECTED && channel.isWritable()) session.drain();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (awaitingAuthz) return; // not silent: this side stopped reading while authorization is pending
            if (state == State.AWAIT_CONNECT) {
                LOG.debug("{}: no CONNECT within mqtt.idle_timeout; closing", remote());
                close();
            } else {
                fail(RC_KEEPALIVE_TIMEOUT, "was silent longer than keepalive x mqtt.keepalive_multiplier");
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Network and TLS errors are the client's business: one line, no stack trace.
        LOG.debug("{} ({}): connection error: {}", remote(), clientId, cause.toString());
        close();
    }

    /** Runs once when the connection ends, whatever ended it. */
    private void finish() {
        State was = state;
        if (was == State.CLOSED) return;
        state = State.CLOSED;
        if (pending != null) {
            pending.forEach(ReferenceCountUtil::release);
            pending = null;
        }
        if (was != State.CONNECTED) return; // CONNECTING: sessionReady releases the session
        metrics.connections.decrement();
        metrics.liveConnections.decrement();
        metrics.clientDisconnected.increment();
        session.detach();
        boolean ended = broker.release(session, this);
        Message w = will;
        will = null;
        if (w == null) return;
        if (willDelaySeconds == 0 || ended) {
            publishWill(w);
        } else { // MQTT 5 will delay: sent unless the session resumes first (or at session end)
            Session s = session;
            long delay = Math.min(willDelaySeconds, s.expirySeconds());
            channel.eventLoop().schedule(() -> {
                if (broker.awayAndCurrent(s) || s.destroyed()) publishWill(w);
            }, delay, TimeUnit.SECONDS);
        }
    }

    /** Authorization asked when the will is sent, not at CONNECT: rules may have changed since. */
    private void publishWill(Message w) {
        CompletableFuture<Boolean> allowed = authorize(AuthzAction.publish(w.qos(), w.retain()), w.topic());
        if (allowed.isDone()) {
            publishWillIfAllowed(w, isAllowed(allowed));
            return;
        }
        // The connection is gone; its loop is not: the will is published there, as a synchronous one would be.
        allowed.whenComplete((ok, error) -> {
            try {
                channel.eventLoop().execute(() -> publishWillIfAllowed(w, error == null && Boolean.TRUE.equals(ok)));
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                LOG.debug("client {}: will to {} dropped, the node is shutting down", clientId, w.topic());
            }
        });
    }

    private void publishWillIfAllowed(Message w, boolean allowed) {
        if (allowed) broker.publish(w);
        else LOG.debug("client {}: will to {} not authorized; dropped", clientId, w.topic());
    }

    /** Asks authorization without blocking; an implementation that throws is a denial (fail closed). */
    private CompletableFuture<Boolean> authorize(AuthzAction action, String topic) {
        try {
            return access.authorizeAsync(authzClient, action, topic, authzCache);
        } catch (RuntimeException e) {
            LOG.warn("authorization of client {} failed ({}); denied", clientId, e.getClass().getSimpleName());
            return AccessControl.DENIED;
        }
    }

    /** The answer of a completed authorization: an exceptional one is a denial. */
    private boolean isAllowed(CompletableFuture<Boolean> done) {
        try {
            return Boolean.TRUE.equals(done.getNow(Boolean.FALSE));
        } catch (RuntimeException e) {
            LOG.warn("authorization of client {} failed ({}); denied", clientId, e.getClass().getSimpleName());
            return false;
        }
    }

    /**
     * Holds this connection's later packets until {@code answer} is in: reads stop, packets already
     * decoded queue in {@link #pending}; when the answer comes, {@code then} runs on this connection's
     * loop with it and the queue is handled in order. {@code held} (the packet that waits) is retained
     * meanwhile. If the connection ends first the answer is dropped.
     */
    private <T> void awaitAuthorization(CompletableFuture<T> answer, MqttMessage held, java.util.function.Consumer<Boolean> then) {
        awaitingAuthz = true;
        channel.config().setAutoRead(false);
        ReferenceCountUtil.retain(held);
        answer.whenComplete((value, error) -> {
            Runnable resume = () -> {
                try {
                    if (state != State.CLOSED && !closing) { // not left, nor refused since (queue overflow)
                        awaitingAuthz = false;
                        boolean allowed = error == null && (!(value instanceof Boolean b) || b);
                        if (error != null) {
                            LOG.warn("authorization of client {} failed ({}); denied", clientId,
                                    error.getClass().getSimpleName());
                        }
                        then.accept(allowed);
                        drainPending();
                    }
                } catch (RuntimeException e) {
                    // On the synchronous path this would reach exceptionCaught; here nothing would, and
                    // the connection would stay paused: close it the same way.
                    LOG.warn("client {}: failed after an authorization answer ({}); closing", clientId, e.toString());
                    close();
                } finally {
                    ReferenceCountUtil.release(held);
                }
            };
            try {
                channel.eventLoop().execute(resume);
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                ReferenceCountUtil.release(held);
            }
        });
    }

    /**
     * A protocol error: MQTT 5 DISCONNECT (or CONNACK) with reason, one debug line, close.
     * {@code what} (it names the client's fault, never a secret) is also the v5 Reason String.
     */
    private void fail(byte reason, String what) {
        if (state == State.CLOSED) return;
        LOG.debug("client {} at {} {}; disconnecting (reason 0x{})", clientId, remote(), what,
                Integer.toHexString(reason & 0xFF));
        if (state == State.AWAIT_CONNECT) {
            if (version == 5) writeThenClose(connack(connackCode(reason), reasonString(what, 2, true)));
            else close();
            return;
        }
        if (version == 5) {
            metrics.packetsDisconnectSent.increment();
            writeThenClose(disconnect(reason, reasonString(what, 1, true)));
        } else {
            close();
        }
    }

    private void refuse(MqttConnectReturnCode code, String what) {
        refuse(code, what, what);
    }

    /** @param told what the client reads in the v5 Reason String; {@code what} is only logged */
    private void refuse(MqttConnectReturnCode code, String what, String told) {
        LOG.debug("{} refused: {} (CONNACK 0x{})", remote(), what, Integer.toHexString(code.byteValue() & 0xFF));
        writeThenClose(connack(code, reasonString(told, 2, true)));
    }

    private static void refused(StringBuilder why, String filter, String because) {
        if (why.length() > MAX_REASON_CHARS) return;
        if (!why.isEmpty()) why.append("; ");
        why.append(filter).append(": ").append(because);
    }

    /**
     * The MQTT 5 Reason String property for a packet whose other content (variable header after
     * the properties, payload) is {@code bodyBytes} long, or none: for a 3.1.1 client, when the
     * client asked for no problem information (except on CONNACK and DISCONNECT, MQTT-3.1.2-29),
     * or when it would make the packet exceed the client's Maximum Packet Size (MQTT-3.1.2-25).
     */
    private MqttProperties reasonString(String text, int bodyBytes, boolean connackOrDisconnect) {
        if (version != 5 || text == null || text.isEmpty()) return MqttProperties.NO_PROPERTIES;
        if (!connackOrDisconnect && !problemInformation) return MqttProperties.NO_PROPERTIES;
        String t = text.length() > MAX_REASON_CHARS ? text.substring(0, MAX_REASON_CHARS - 3) + "..." : text;
        int propertyBytes = 1 + 2 + io.netty.buffer.ByteBufUtil.utf8Bytes(t);
        if (packetSize(bodyBytes, propertyBytes) > clientMaxPacket) return MqttProperties.NO_PROPERTIES;
        MqttProperties p = new MqttProperties();
        p.add(new MqttProperties.StringProperty(MqttProperties.REASON_STRING, t));
        return p;
    }

    /** Bytes on the wire of a packet with {@code bodyBytes} besides a property block of {@code propertyBytes}. */
    static int packetSize(int bodyBytes, int propertyBytes) {
        int remaining = bodyBytes + varIntSize(propertyBytes) + propertyBytes;
        return 1 + varIntSize(remaining) + remaining;
    }

    private static int varIntSize(int v) {
        return v < 128 ? 1 : v < 16_384 ? 2 : v < 2_097_152 ? 3 : 4;
    }

    private void onDecodeFailure(Throwable cause) {
        metrics.packetsMalformed.increment();
        MqttVersion v = channel.attr(CODEC_VERSION).get();
        if (v != null) version = v.protocolLevel();
        boolean tooLarge = cause instanceof TooLongFrameException;
        if (state == State.AWAIT_CONNECT) {
            if (cause instanceof MqttUnacceptableProtocolVersionException) {
                refuse(MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION, "unsupported protocol version");
            } else if (cause instanceof MqttIdentifierRejectedException) {
                refuse(version == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
                        : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "client id rejected");
            } else if (version == 5) {
                refuse(tooLarge ? MqttConnectReturnCode.CONNECTION_REFUSED_PACKET_TOO_LARGE
                        : MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET, "bad CONNECT: " + cause.getMessage());
            } else {
                LOG.debug("{}: malformed CONNECT ({}); closing", remote(), cause.getMessage());
                close();
            }
            return;
        }
        String message = String.valueOf(cause.getMessage());
        if (tooLarge) fail(RC_PACKET_TOO_LARGE, tooLarge(cause));
        // Netty's decoder refuses a wildcard in a PUBLISH topic; MQTT 5 has a precise code for it.
        else if (message.startsWith("invalid publish topic name")) fail(RC_TOPIC_NAME_INVALID, message);
        else fail(RC_MALFORMED, "sent a malformed packet: " + message);
    }

    /** "packet too large: N bytes > mqtt.max_packet_size M", N from Netty's "message length exceeds M: N". */
    private String tooLarge(Throwable cause) {
        java.util.regex.Matcher n = NUMBERS.matcher(String.valueOf(cause.getMessage()));
        String size = null;
        while (n.find()) size = n.group();
        return "packet too large: " + (size == null ? "" : size + " bytes ") + "> mqtt.max_packet_size "
                + settings.maxPacketSize();
    }

    // ------------------------------------------------------------------ SessionOwner

    @Override
    public void takenOver() {
        onLoop(() -> {
            if (state == State.CLOSED) return;
            metrics.clientTakeover.increment();
            LOG.debug("client {} at {} taken over by a new connection", clientId, remote());
            if (willDelaySeconds > 0) will = null; // the new connection resumes the session: MQTT 5 3.1.3.2.2
            disconnectNow(RC_SESSION_TAKEN_OVER, "session taken over by a new connection with the same client id");
        });
    }

    @Override
    public void kick() {
        onLoop(() -> disconnectNow(RC_ADMINISTRATIVE_ACTION, "disconnected by an administrator"));
    }

    @Override
    public io.netty.util.concurrent.Future<?> shutdown() {
        onLoop(() -> disconnectNow(RC_SERVER_SHUTTING_DOWN, "server shutting down"));
        return channel.closeFuture();
    }

    /** Sends the v5 DISCONNECT, then detaches the session at once (not later in channelInactive). */
    private void disconnectNow(byte reason, String why) {
        if (state == State.CLOSED) return;
        if (version == 5 && state == State.CONNECTED) {
            metrics.packetsDisconnectSent.increment();
            channel.writeAndFlush(disconnect(reason, reasonString(why, 1, true))).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
        finish();
    }

    private void onLoop(Runnable r) {
        if (channel.eventLoop().inEventLoop()) r.run();
        else channel.eventLoop().execute(r);
    }

    // ------------------------------------------------------------------ helpers

    private static MqttMessage disconnect(byte reason, MqttProperties props) {
        return MqttMessageBuilders.disconnect().reasonCode(reason).properties(props).build();
    }

    private static MqttConnectReturnCode connackCode(byte reason) {
        try {
            return MqttConnectReturnCode.valueOf(reason);
        } catch (IllegalArgumentException notAConnackCode) {
            return MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR;
        }
    }

    private static MqttConnAckMessage connack(MqttConnectReturnCode code, MqttProperties props) {
        return MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).properties(props).build();
    }

    private void write(MqttMessage m) {
        metrics.packetsSent.increment();
        channel.writeAndFlush(m, channel.voidPromise());
    }

    private void writeThenClose(MqttMessage m) {
        closing = true;
        metrics.packetsSent.increment();
        channel.config().setAutoRead(false);
        channel.writeAndFlush(m).addListener(ChannelFutureListener.CLOSE);
        if (state != State.CONNECTED) state = State.CLOSED;
    }

    private void close() {
        closing = true;
        channel.close();
    }

    /** v5 properties to pass on to receivers: all but the topic alias and subscription identifiers. */
    private static MqttProperties passThrough(MqttProperties in) {
        MqttProperties out = new MqttProperties();
        for (MqttProperties.MqttProperty<?> p : in.listAll()) {
            int id = p.propertyId();
            if (id != MqttProperties.TOPIC_ALIAS && id != MqttProperties.SUBSCRIPTION_IDENTIFIER
                    && id != MqttProperties.PUBLICATION_EXPIRY_INTERVAL && id != MqttProperties.WILL_DELAY_INTERVAL) {
                out.add(p);
            }
        }
        return out.isEmpty() ? MqttProperties.NO_PROPERTIES : out;
    }

    private static int intProperty(MqttProperties props, int id, int dflt) {
        if (props == null) return dflt;
        MqttProperties.MqttProperty<?> p = props.getProperty(id);
        return p == null ? dflt : (Integer) p.value();
    }

    private static long unsigned(int v) {
        return v & 0xFFFFFFFFL;
    }

    private static int packetId(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof MqttMessageIdVariableHeader id) return id.messageId();
        if (vh instanceof MqttPubReplyMessageVariableHeader r) return r.messageId();
        return 0;
    }

    private static byte reasonCode(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof MqttPubReplyMessageVariableHeader r) return r.reasonCode();
        if (vh instanceof MqttReasonCodeAndPropertiesVariableHeader r) return r.reasonCode();
        return RC_NORMAL;
    }

    private String remote() {
        SocketAddress a = channel == null ? null : channel.remoteAddress();
        return String.valueOf(a);
    }

}

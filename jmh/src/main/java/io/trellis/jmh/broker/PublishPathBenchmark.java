package io.trellis.jmh.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import io.trellis.mqtt.broker.Broker;
import io.trellis.mqtt.broker.BrokerSettings;
import io.trellis.mqtt.connection.MqttPipeline;
import io.trellis.mqtt.transport.ListenerSpec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The broker's publish path as it runs on an event loop: the raw bytes of one inbound MQTT 3.1.1
 * PUBLISH (64-byte payload) enter the publisher's real pipeline ({@link MqttPipeline}: flush
 * consolidation, traffic counter, Netty's MqttDecoder/MqttEncoder, MqttConnection), are routed by
 * {@link Broker#publish} and encoded onto every matching subscriber's channel; at QoS 1 the
 * publisher's PUBACK is drained and every subscriber answers its PUBLISH with a raw PUBACK, so
 * one operation is one complete message flow. Channels are Netty EmbeddedChannels (no sockets,
 * no syscalls); they all report being on the event loop, so this is the same-loop delivery path
 * (the cross-loop hand-over of DeliveryBatch is not exercised).
 *
 * <p>Fan-outs: {@code 1} and {@code 100} subscribers of the published topic, and {@code 10k}: one
 * matching subscriber among 10 000 exact subscriptions of other topics (100 clients x 100).
 *
 * <p>Every buffer is released: inbound buffers by the pipeline, outbound ones here; the tear-down
 * checks the counts and that nothing is left queued. For a leak check run with
 * {@code -jvmArgsAppend -Dio.netty.leakDetection.level=paranoid} and look for "LEAK:".
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PublishPathBenchmark {
    static {
        // The shaded jar has no SLF4J provider: make Netty's leak reports reach stderr.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    }

    static final String TOPIC = "site/7/device/4242/telemetry";
    static final int PAYLOAD_BYTES = 64;
    static final int FILLER_CLIENTS = 100;
    static final int FILLER_SUBSCRIPTIONS_PER_CLIENT = 100;
    /** Real server's per-connection write buffer (MqttServer.WATER_MARK). */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    @Param({"1", "100", "10k"})
    public String fanout;

    @Param({"0", "1"})
    public int qos;

    private Broker broker;
    private MqttPipeline pipeline;
    private ListenerSpec listener;
    private EmbeddedChannel publisher;
    private EmbeddedChannel[] subscribers;
    private final List<EmbeddedChannel> fillers = new ArrayList<>();
    private byte[] publishPacket;
    private ByteBuf lastInbound;
    private int nextPublisherPacketId = 1;

    private long ops;
    private long delivered;
    private long publisherAcks;

    @Setup(Level.Trial)
    public void setUp() {
        broker = new Broker(BrokerSettings.defaults());
        pipeline = new MqttPipeline(broker);
        listener = new ListenerSpec(ListenerSpec.Type.TCP, "bench", new InetSocketAddress("127.0.0.1", 0), null,
                null, Integer.MAX_VALUE);
        publisher = connect("publisher");
        int matching = switch (fanout) {
            case "1", "10k" -> 1;
            case "100" -> 100;
            default -> throw new IllegalArgumentException("fanout must be 1, 100 or 10k, not " + fanout);
        };
        subscribers = new EmbeddedChannel[matching];
        for (int i = 0; i < matching; i++) {
            subscribers[i] = connect("sub-" + i);
            subscribe(subscribers[i], List.of(TOPIC));
        }
        if (fanout.equals("10k")) {
            for (int c = 0; c < FILLER_CLIENTS; c++) {
                EmbeddedChannel ch = connect("filler-" + c);
                List<String> filters = new ArrayList<>(FILLER_SUBSCRIPTIONS_PER_CLIENT);
                for (int s = 0; s < FILLER_SUBSCRIPTIONS_PER_CLIENT; s++) {
                    filters.add("site/" + c + "/device/" + (c * FILLER_SUBSCRIPTIONS_PER_CLIENT + s) + "/telemetry");
                }
                subscribe(ch, filters);
                fillers.add(ch);
            }
        }
        byte[] payload = new byte[PAYLOAD_BYTES];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) ('a' + i % 26);
        publishPacket = encode(MqttMessageBuilders.publish().topicName(TOPIC).qos(MqttQoS.valueOf(qos))
                .messageId(qos == 0 ? 0 : 1).retained(false).payload(Unpooled.wrappedBuffer(payload)).build());
        // One flow before measuring: fails fast if the wiring routes nothing.
        publish();
        if (delivered != matching || (qos == 1 && publisherAcks != 1)) {
            throw new IllegalStateException("setup flow delivered " + delivered + " of " + matching
                    + " and acked " + publisherAcks + " publishes");
        }
        ops = delivered = publisherAcks = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        int matching = subscribers.length;
        if (delivered != ops * matching) {
            throw new IllegalStateException(ops + " publishes x " + matching + " subscribers, but delivered " + delivered);
        }
        if (qos == 1 && publisherAcks != ops) {
            throw new IllegalStateException(ops + " QoS 1 publishes, but " + publisherAcks + " PUBACKs");
        }
        if (lastInbound != null && lastInbound.refCnt() != 0) {
            throw new IllegalStateException("inbound PUBLISH buffer not released: refCnt " + lastInbound.refCnt());
        }
        for (EmbeddedChannel ch : fillers) {
            ch.runPendingTasks();
            if (ch.outboundMessages().size() != 0) throw new IllegalStateException("a non-matching client got a message");
        }
        List<EmbeddedChannel> all = new ArrayList<>(fillers);
        all.addAll(List.of(subscribers));
        all.add(publisher);
        for (EmbeddedChannel ch : all) {
            ch.runPendingTasks();
            if (!ch.outboundMessages().isEmpty() || !ch.inboundMessages().isEmpty()) {
                throw new IllegalStateException("messages left on a channel after the run");
            }
            ch.finishAndReleaseAll();
        }
        fillers.clear();
    }

    /** One PUBLISH in, routed, delivered; at QoS 1 acknowledged both ways. Returns messages delivered. */
    @Benchmark
    public int publish() {
        // As an epoll read would: a pooled direct buffer holding the packet's bytes.
        ByteBuf in = publisher.alloc().directBuffer(publishPacket.length).writeBytes(publishPacket);
        if (qos == 1) { // a new packet id per PUBLISH, as a client would
            in.setShort(in.writerIndex() - PAYLOAD_BYTES - 2, nextPublisherPacketId);
            nextPublisherPacketId = nextPublisherPacketId == 65535 ? 1 : nextPublisherPacketId + 1;
        }
        lastInbound = in;
        publisher.writeInbound(in);
        Object out;
        while ((out = publisher.readOutbound()) != null) { // PUBACK to the publisher (QoS 1)
            ((ByteBuf) out).release();
            publisherAcks++;
        }
        int received = 0;
        for (EmbeddedChannel sub : subscribers) {
            sub.runPendingTasks(); // the consolidated flush scheduled on the subscriber's loop
            while ((out = sub.readOutbound()) != null) {
                ByteBuf publish = (ByteBuf) out;
                int packetId = qos == 1 ? publishPacketId(publish) : 0;
                publish.release();
                received++;
                if (qos == 1) sub.writeInbound(puback(sub, packetId));
            }
        }
        delivered += received;
        ops++;
        return received;
    }

    private EmbeddedChannel connect(String clientId) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(PooledByteBufAllocator.DEFAULT); // as MqttServer's child options
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        pipeline.addTo(ch, listener);
        ch.writeInbound(Unpooled.wrappedBuffer(encode(MqttMessageBuilders.connect().clientId(clientId)
                .protocolVersion(MqttVersion.MQTT_3_1_1).cleanSession(true).keepAlive(60).build())));
        ch.runPendingTasks();
        ByteBuf connack = ch.readOutbound();
        if (connack == null || connack.getByte(0) != 0x20 || connack.getByte(3) != 0) {
            throw new IllegalStateException("client " + clientId + " was not accepted");
        }
        connack.release();
        return ch;
    }

    private static void subscribe(EmbeddedChannel ch, List<String> filters) {
        MqttMessageBuilders.SubscribeBuilder b = MqttMessageBuilders.subscribe().messageId(1);
        for (String f : filters) b.addSubscription(MqttQoS.AT_LEAST_ONCE, f);
        ch.writeInbound(Unpooled.wrappedBuffer(encode(b.build())));
        ch.runPendingTasks();
        ByteBuf suback = ch.readOutbound();
        if (suback == null || (suback.getByte(0) & 0xF0) != 0x90) {
            throw new IllegalStateException("no SUBACK for " + filters.size() + " filters");
        }
        suback.release();
    }

    /** The packet id of an encoded QoS 1 PUBLISH: after the fixed header and the topic name. */
    private static int publishPacketId(ByteBuf p) {
        int i = p.readerIndex() + 1;
        while ((p.getByte(i++) & 0x80) != 0) {
            // remaining length continues
        }
        int topicLength = p.getUnsignedShort(i);
        return p.getUnsignedShort(i + 2 + topicLength);
    }

    private static ByteBuf puback(EmbeddedChannel ch, int packetId) {
        return ch.alloc().directBuffer(4).writeByte(0x40).writeByte(2).writeShort(packetId);
    }

    /** A packet's bytes as a client would send them, encoded by Netty's MqttEncoder. */
    private static byte[] encode(MqttMessage m) {
        EmbeddedChannel enc = new EmbeddedChannel(MqttEncoder.INSTANCE);
        enc.writeOutbound(m);
        ByteBuf buf = enc.readOutbound();
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        enc.finishAndReleaseAll();
        return bytes;
    }
}

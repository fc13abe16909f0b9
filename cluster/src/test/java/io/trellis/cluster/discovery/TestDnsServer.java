package io.trellis.cluster.discovery;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A tiny authoritative DNS server for tests: UDP on 127.0.0.1 and a random port, built with
 * netty-codec-dns. It answers A, AAAA and SRV questions from records the test adds (TTL 0, so
 * nothing is cached between look-ups), NOERROR with no answer when the name has records of other
 * types only, and NXDOMAIN for a name it has no records of. It remembers the questions asked.
 */
public final class TestDnsServer implements AutoCloseable {
    /** One record: its type and its RDATA. */
    private record Record(DnsRecordType type, byte[] rdata) {
    }

    private final Map<String, List<Record>> zone = new ConcurrentHashMap<>();
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;

    private TestDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Responder());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** A server on 127.0.0.1 and a free port. */
    public static TestDnsServer start() {
        try {
            return new TestDnsServer();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the test DNS server", e);
        }
    }

    /** Where to send questions: for {@code cluster.dns.servers}. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Adds A records (IPv4 literals) of {@code name}. */
    public TestDnsServer a(String name, String... ipv4) {
        for (String ip : ipv4) {
            add(name, DnsRecordType.A, literal(ip, 4));
        }
        return this;
    }

    /** Adds AAAA records (IPv6 literals) of {@code name}. */
    public TestDnsServer aaaa(String name, String... ipv6) {
        for (String ip : ipv6) {
            add(name, DnsRecordType.AAAA, literal(ip, 16));
        }
        return this;
    }

    /** Adds an SRV record of {@code name}: priority 10, weight 10, {@code port}, {@code target}. */
    public TestDnsServer srv(String name, int port, String target) {
        ByteBuf rdata = Unpooled.buffer();
        rdata.writeShort(10).writeShort(10).writeShort(port);
        for (String label : target.split("\\.")) {
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            rdata.writeByte(bytes.length).writeBytes(bytes);
        }
        rdata.writeByte(0);
        byte[] bytes = new byte[rdata.readableBytes()];
        rdata.readBytes(bytes);
        add(name, DnsRecordType.SRV, bytes);
        return this;
    }

    /** Questions asked so far, each "name TYPE" (name without the trailing dot), oldest first. */
    public List<String> asked() {
        return List.copyOf(asked);
    }

    /** How many times {@code name} was asked for {@code type} records. */
    public long timesAsked(String name, DnsRecordType type) {
        String q = key(name) + " " + type.name();
        return asked.stream().filter(q::equals).count();
    }

    private void add(String name, DnsRecordType type, byte[] rdata) {
        zone.computeIfAbsent(key(name), k -> new CopyOnWriteArrayList<>()).add(new Record(type, rdata));
    }

    private static byte[] literal(String ip, int length) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
        if (bytes == null || bytes.length != length) {
            throw new IllegalArgumentException("'" + ip + "' is not an IPv" + (length == 4 ? "4" : "6") + " literal");
        }
        return bytes;
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** Answers each query from the zone. Event loop. */
    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setAuthoritativeAnswer(true);
            response.setRecursionDesired(query.isRecursionDesired());
            if (question == null) {
                response.setCode(DnsResponseCode.FORMERR);
                ctx.writeAndFlush(response);
                return;
            }
            asked.add(key(question.name()) + " " + question.type().name());
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            List<Record> records = zone.get(key(question.name()));
            if (records == null || records.isEmpty()) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else {
                for (Record r : records) {
                    if (r.type().equals(question.type())) {
                        response.addRecord(DnsSection.ANSWER,
                                new DefaultDnsRawRecord(question.name(), r.type(), 0, Unpooled.wrappedBuffer(r.rdata())));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

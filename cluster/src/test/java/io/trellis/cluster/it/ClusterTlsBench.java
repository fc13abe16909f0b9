package io.trellis.cluster.it;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.handshake.CookieKey;
import io.trellis.cluster.handshake.HandshakeSettings;
import io.trellis.cluster.handshake.RefusalLog;
import io.trellis.cluster.rpc.RpcClient;
import io.trellis.cluster.rpc.RpcServer;
import io.trellis.cluster.transport.ChannelTls;
import io.trellis.cluster.transport.TransportSecurity;
import io.trellis.config.Secret;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Not a test (no JUnit): cross-node forwarding over cluster RPC, plain TCP against TLS on the JDK
 * and OpenSSL (BoringSSL) engines in the same run, and the time to form a 3-node cluster. Run:
 *
 * <pre>
 * mvn -o -q -pl cluster -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp cluster/target/test-classes:cluster/target/classes:$(cat cluster/target/cp.txt) io.trellis.cluster.it.ClusterTlsBench [messages] [rounds]
 * </pre>
 *
 * Forwarding: one RPC connection (rpc.client_num = 1, the per-topic path), 256-byte frames
 * carrying their send time, at most 1024 in flight; throughput = frames / time until the last
 * arrived; latency = arrival - send in the same JVM. Rounds alternate the variants so machine
 * noise spreads over all of them; the best round's throughput and the median round's p99 are shown.
 */
public final class ClusterTlsBench {
    private static final String COOKIE = "Zq8Wx3Ec6Rv9Tb2Yn5Um1Ik4Ol7Pa0Sd";
    private static final int FRAME = 256;
    private static final int WINDOW = 1024;

    private ClusterTlsBench() {
    }

    record Result(double perSecond, double p50Micros, double p99Micros) {
    }

    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("trellis-tls-bench");
        TestCerts certs = new TestCerts(dir, "bench-ca");
        List<String> variants = new ArrayList<>(List.of("plain", "tls-JDK"));
        if (OpenSsl.isAvailable()) {
            variants.add("tls-OPENSSL");
        }
        System.out.printf("cores=%d java=%s load=%s messages=%d rounds=%d%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), Files.readString(Path.of("/proc/loadavg")).trim(), messages, rounds);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            java.util.Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
            forward(group, certs, "plain", messages / 4); // warm-up
            forward(group, certs, "tls-JDK", messages / 4);
            if (OpenSsl.isAvailable()) {
                forward(group, certs, "tls-OPENSSL", messages / 4);
            }
            for (int r = 0; r < rounds; r++) {
                for (String v : variants) {
                    results.computeIfAbsent(v, k -> new ArrayList<>()).add(forward(group, certs, v, messages));
                }
            }
            double plainBest = results.get("plain").stream().mapToDouble(Result::perSecond).max().orElseThrow();
            for (var e : results.entrySet()) {
                double best = e.getValue().stream().mapToDouble(Result::perSecond).max().orElseThrow();
                double[] p99 = e.getValue().stream().mapToDouble(Result::p99Micros).sorted().toArray();
                double[] p50 = e.getValue().stream().mapToDouble(Result::p50Micros).sorted().toArray();
                System.out.printf("forward %-12s best %,10.0f msg/s (%5.1f%% of plain)  median p50 %7.0f us  median p99 %7.0f us  rounds %s%n",
                        e.getKey(), best, 100 * best / plainBest, p50[p50.length / 2], p99[p99.length / 2],
                        e.getValue().stream().map(x -> String.format("%.0f", x.perSecond())).toList());
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
        for (String v : variants) {
            List<Long> times = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                times.add(formThree(certs, v));
            }
            times.sort(null);
            System.out.printf("form 3-node cluster %-12s median %d ms  runs %s%n", v, times.get(1), times);
        }
    }

    private static ChannelTls tls(TestCerts certs, String variant, NodeName node) {
        return variant.equals("plain") ? ChannelTls.PLAIN : certs.tls(node, SslProvider.valueOf(variant.substring(4)));
    }

    private static HandshakeSettings settings(TestCerts certs, String variant, String node) {
        NodeName name = NodeName.parse(node);
        return new HandshakeSettings(name, CookieKey.of(new Secret(COOKIE)), Duration.ofSeconds(5), new RefusalLog(Duration.ofMinutes(1)))
                .withTransportSecurity(new TransportSecurity(ChannelTls.PLAIN, tls(certs, variant, name)));
    }

    private static Result forward(EventLoopGroup group, TestCerts certs, String variant, int messages) throws Exception {
        AtomicLong received = new AtomicLong();
        AtomicLongArray latencies = new AtomicLongArray(messages);
        RpcServer server = new RpcServer(settings(certs, variant, "b@127.0.0.1"), new InetSocketAddress("127.0.0.1", 0), 64 * 1024,
                (from, frame) -> {
                    long sent = frame.getLong(frame.readerIndex());
                    int seq = frame.getInt(frame.readerIndex() + 8);
                    latencies.set(seq, System.nanoTime() - sent);
                    received.incrementAndGet();
                }, group);
        int port = server.start();
        try (server; RpcClient client = new RpcClient(settings(certs, variant, "a@127.0.0.1"), NodeName.parse("b@127.0.0.1"),
                new InetSocketAddress("127.0.0.1", port), 1, 64 * 1024, Duration.ofSeconds(5), group)) {
            client.connect().get(15, TimeUnit.SECONDS);
            long start = System.nanoTime();
            for (int seq = 0; seq < messages; seq++) {
                while (seq - received.get() >= WINDOW || !client.isWritable(0)) {
                    Thread.onSpinWait();
                }
                ByteBuf frame = io.netty.buffer.PooledByteBufAllocator.DEFAULT.buffer(FRAME);
                frame.writeLong(System.nanoTime()).writeInt(seq).writeZero(FRAME - 12);
                client.send(0, frame);
            }
            while (received.get() < messages) {
                Thread.onSpinWait();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] l = new long[messages];
            for (int i = 0; i < messages; i++) {
                l[i] = latencies.get(i);
            }
            Arrays.sort(l);
            return new Result(messages / seconds, l[messages / 2] / 1e3, l[(int) (messages * 0.99)] / 1e3);
        }
    }

    /** Milliseconds from starting three nodes to a full mesh (MQTT servers included). */
    private static long formThree(TestCerts certs, String variant) {
        long start = System.nanoTime();
        try (ClusterHarness h = new ClusterHarness("127.0.0.1", 4)) {
            if (!variant.equals("plain")) {
                h.transport = node -> new TransportSecurity(tls(certs, variant, node), tls(certs, variant, node));
            }
            for (int i = 1; i <= 3; i++) {
                h.add("f" + i, COOKIE);
            }
            for (int i = 2; i <= 3; i++) {
                h.node(i).cluster.join(h.node(1).nodeName(), h.node(1).distAddress()).join();
            }
            h.awaitMesh();
            return (System.nanoTime() - start) / 1_000_000;
        }
    }
}

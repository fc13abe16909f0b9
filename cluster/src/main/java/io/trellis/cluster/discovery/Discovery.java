package io.trellis.cluster.discovery;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the nodes to join at start ({@code cluster.discovery_strategy}): {@code static} joins
 * every {@code cluster.static.seeds} entry; {@code dns} looks up {@code cluster.dns.name} and
 * joins what it lists: for {@code a} / {@code aaaa} records the node {@code <this node's short
 * name>@<address>} (every node of a DNS-discovered cluster shares its short name, as in EMQX),
 * for {@code srv} records the target host with the short name taken from the target's first
 * label, joined on the SRV port. A seed that cannot be joined is tried again with exponential
 * backoff (1 s doubling to 60 s) until it is up once; after that distribution reconnects by
 * itself. {@code manual} and {@code singleton} do nothing here.
 */
public final class Discovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);
    private static final long FIRST_RETRY_MS = 1000;
    private static final long MAX_RETRY_MS = 60_000;

    private final ClusterNode node;
    private final EventLoopGroup group;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private DnsNameResolver resolver;
    private volatile boolean closed;

    private Discovery(ClusterNode node, EventLoopGroup group) {
        this.node = node;
        this.group = group;
    }

    /** Starts discovery per the settings; the returned object stops retries on close. */
    public static Discovery start(ClusterSettings settings, ClusterNode node, EventLoopGroup group) {
        Discovery d = new Discovery(node, group);
        switch (settings.discovery()) {
            case STATIC -> settings.staticSeeds().forEach(seed -> d.keepJoining(seed, null, FIRST_RETRY_MS));
            case DNS -> d.dns(settings, FIRST_RETRY_MS);
            default -> {
            }
        }
        return d;
    }

    private void keepJoining(NodeName seed, Integer port, long delayMs) {
        if (closed || seed.equals(node.self())) {
            return;
        }
        CompletableFuture<Void> joining = port == null ? node.join(seed)
                : node.join(seed, new java.net.InetSocketAddress(seed.host(), port));
        joining.whenComplete((ok, failure) -> {
            if (failure == null) {
                LOG.info("joined seed {}", seed);
                return;
            }
            LOG.info("seed {} not joined ({}); retrying in {}s", seed, failure.getMessage(), delayMs / 1000);
            schedule(() -> keepJoining(seed, port, Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
        });
    }

    private void dns(ClusterSettings settings, long delayMs) {
        if (closed) {
            return;
        }
        if (resolver == null) {
            resolver = new DnsNameResolverBuilder(group.next()).datagramChannelType(NioDatagramChannel.class).build();
        }
        String shortName = settings.node().name();
        String type = settings.dnsRecordType().toLowerCase(java.util.Locale.ROOT);
        String name = settings.dnsName();
        if (type.equals("srv")) {
            resolver.query(new DefaultDnsQuestion(name, DnsRecordType.SRV)).addListener(f -> {
                if (!f.isSuccess()) {
                    retryDns(settings, name, f.cause(), delayMs);
                    return;
                }
                @SuppressWarnings("unchecked")
                io.netty.channel.AddressedEnvelope<DnsResponse, ?> env = (io.netty.channel.AddressedEnvelope<DnsResponse, ?>) f.getNow();
                try {
                    DnsResponse response = env.content();
                    for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
                        DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
                        if (r instanceof DnsRawRecord raw && r.type() == DnsRecordType.SRV) {
                            io.netty.buffer.ByteBuf c = raw.content().duplicate();
                            c.skipBytes(4); // priority, weight
                            int port = c.readUnsignedShort();
                            String target = io.netty.handler.codec.dns.DefaultDnsRecordDecoder.decodeName(c);
                            target = target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
                            String label = target.contains(".") ? target.substring(0, target.indexOf('.')) : target;
                            keepJoining(NodeName.parse(label + "@" + target), port, FIRST_RETRY_MS);
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warn("cluster.dns.name {}: cannot use the SRV answer: {}", name, e.getMessage());
                } finally {
                    env.release();
                }
            });
            return;
        }
        resolver.resolveAll(name).addListener(f -> {
            if (!f.isSuccess()) {
                retryDns(settings, name, f.cause(), delayMs);
                return;
            }
            @SuppressWarnings("unchecked")
            List<InetAddress> addresses = (List<InetAddress>) f.getNow();
            boolean v6 = type.equals("aaaa");
            for (InetAddress a : addresses) {
                if ((a instanceof java.net.Inet6Address) == v6) {
                    keepJoining(NodeName.parse(shortName + "@" + a.getHostAddress()), null, FIRST_RETRY_MS);
                }
            }
        });
    }

    private void retryDns(ClusterSettings settings, String name, Throwable cause, long delayMs) {
        LOG.warn("cluster.dns.name {}: look-up failed ({}); retrying in {}s", name, cause.getMessage(), delayMs / 1000);
        schedule(() -> dns(settings, Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
    }

    private synchronized void schedule(Runnable task, long delayMs) {
        if (!closed) {
            timers.add(group.next().schedule(task, delayMs, TimeUnit.MILLISECONDS));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        timers.forEach(t -> t.cancel(false));
        timers.clear();
        if (resolver != null) {
            resolver.close();
        }
    }
}

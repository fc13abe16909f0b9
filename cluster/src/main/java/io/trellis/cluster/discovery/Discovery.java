package io.trellis.cluster.discovery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.trellis.cluster.ClusterNode;
import io.trellis.cluster.ClusterSettings;
import io.trellis.cluster.NodeName;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the nodes to join at start ({@code cluster.discovery_strategy}): {@code static} joins
 * every {@code cluster.static.seeds} entry; {@code dns} asks the DNS servers of
 * {@link DnsServers} ({@code cluster.dns.servers}, or the system's) for the
 * {@code cluster.dns.record_type} records of {@code cluster.dns.name} and joins what they list:
 * for {@code a} / {@code aaaa} records the node {@code <this node's short name>@<address>} on
 * 4370 + N (every node of a DNS-discovered cluster shares its short name, as in EMQX), for
 * {@code srv} records the target host with the short name taken from the target's first label
 * ({@code trellis1.nodes.example.com} -> {@code trellis1@trellis1.nodes.example.com}), joined on
 * the SRV port, its host name resolved by the same servers. This node's own entry is skipped.
 *
 * <p>A look-up that fails (NXDOMAIN, time-out), answers nothing, or lists only this node is asked
 * again with exponential backoff (1 s doubling to 60 s), the node running alone meanwhile; a
 * warning names the DNS name and record type. A seed that cannot be joined is tried again with
 * the same backoff until it is up once; after that distribution reconnects by itself.
 * {@code manual} and {@code singleton} do nothing here.
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

    /** A node a DNS answer lists; {@code address} null = dial its name's host on 4370 + N. */
    private record Found(NodeName name, InetSocketAddress address) {
    }

    private Discovery(ClusterNode node, EventLoopGroup group) {
        this.node = node;
        this.group = group;
    }

    /** Starts discovery per the settings; the returned object stops look-ups and retries on close. */
    public static Discovery start(ClusterSettings settings, ClusterNode node, EventLoopGroup group) {
        Discovery d = new Discovery(node, group);
        switch (settings.discovery()) {
            case STATIC -> settings.staticSeeds().forEach(seed -> d.keepJoining(seed, null, FIRST_RETRY_MS));
            case DNS -> d.lookUp(settings, FIRST_RETRY_MS);
            default -> {
            }
        }
        return d;
    }

    private void keepJoining(NodeName seed, InetSocketAddress address, long delayMs) {
        if (closed || seed.equals(node.self())) {
            return;
        }
        CompletableFuture<Void> joining = address == null ? node.join(seed) : node.join(seed, address);
        joining.whenComplete((ok, failure) -> {
            if (failure == null) {
                LOG.info("joined seed {}", seed);
                return;
            }
            LOG.info("seed {} not joined ({}); retrying in {}s", seed, failure.getMessage(), delayMs / 1000);
            schedule(() -> keepJoining(seed, address, Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
        });
    }

    private synchronized DnsNameResolver resolver(ClusterSettings settings) {
        if (resolver == null) {
            resolver = DnsServers.resolverBuilder(settings).eventLoop(group.next()).build();
        }
        return resolver;
    }

    private void lookUp(ClusterSettings settings, long delayMs) {
        if (closed) {
            return;
        }
        String word = settings.dnsRecordType().toLowerCase(Locale.ROOT);
        DnsRecordType type = switch (word) {
            case "aaaa" -> DnsRecordType.AAAA;
            case "srv" -> DnsRecordType.SRV;
            default -> DnsRecordType.A;
        };
        String what = "cluster.dns.name " + settings.dnsName() + " (cluster.dns.record_type = " + word + ")";
        LOG.debug("{}: asking {}", what, settings.dnsServers().isEmpty() ? "the system's DNS servers" : settings.dnsServers());
        resolver(settings).resolveAll(new DefaultDnsQuestion(settings.dnsName(), type)).addListener(f -> {
            if (closed) {
                if (f.isSuccess()) {
                    ((List<?>) f.getNow()).forEach(ReferenceCountUtil::release);
                }
                return;
            }
            if (!f.isSuccess()) {
                retryLookUp(settings, delayMs, "{}: {}; this node runs alone for now, asking again in {}s",
                        what, failure(f.cause(), word));
                return;
            }
            @SuppressWarnings("unchecked")
            List<DnsRecord> records = (List<DnsRecord>) f.getNow();
            Map<NodeName, Found> found = new LinkedHashMap<>();
            try {
                for (DnsRecord r : records) {
                    Found n = r instanceof DnsRawRecord raw && r.type() == type ? found(settings, raw, what) : null;
                    if (n != null) {
                        found.putIfAbsent(n.name(), n);
                    }
                }
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
            if (found.isEmpty()) {
                retryLookUp(settings, delayMs, "{}: the answer lists no node; this node runs alone for now, asking again in {}s", what);
                return;
            }
            List<Found> others = found.values().stream().filter(n -> !isSelf(n.name())).toList();
            if (others.isEmpty()) {
                LOG.info("{}: the answer lists only this node ({}); asking again in {}s for the others", what, node.self(), delayMs / 1000);
                schedule(() -> lookUp(settings, Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
                return;
            }
            LOG.info("{}: found {}", what, others.stream().map(Found::name).toList());
            others.forEach(n -> keepJoining(n.name(), n.address(), FIRST_RETRY_MS));
        });
    }

    /** Why a look-up failed, in operator words: the DNS answer code, a time-out, or no records. */
    private static String failure(Throwable cause, String word) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof DnsErrorCauseException dns) {
                return dns.getCode() == DnsResponseCode.NXDOMAIN ? "the name does not exist (NXDOMAIN)"
                        : "the DNS server answered " + dns.getCode();
            }
            if (t instanceof DnsNameResolverTimeoutException) {
                return "no DNS server answered in time (check cluster.dns.servers or /etc/resolv.conf)";
            }
        }
        return cause instanceof UnknownHostException ? "the name has no " + word.toUpperCase(Locale.ROOT) + " records"
                : "the look-up failed (" + cause.getMessage() + ")";
    }

    /** The node one record lists, or null (logged) when the record cannot name a node. */
    private Found found(ClusterSettings settings, DnsRawRecord raw, String what) {
        ByteBuf content = raw.content().duplicate();
        try {
            if (raw.type() == DnsRecordType.SRV) {
                content.skipBytes(4); // priority, weight: every listed node is joined
                int port = content.readUnsignedShort();
                String target = DefaultDnsRecordDecoder.decodeName(content);
                target = target.endsWith(".") ? target.substring(0, target.length() - 1) : target;
                String label = target.contains(".") ? target.substring(0, target.indexOf('.')) : target;
                return new Found(NodeName.parse(label + "@" + target), NodeName.socketAddress(target, port));
            }
            InetAddress address = InetAddress.getByAddress(ByteBufUtil.getBytes(content));
            return new Found(NodeName.parse(settings.node().name() + "@" + NetUtil.toAddressString(address)), null);
        } catch (IllegalArgumentException | IndexOutOfBoundsException | UnknownHostException | io.netty.handler.codec.CorruptedFrameException e) {
            LOG.warn("{}: skipping a record that names no node: {}", what, e.getMessage());
            return null;
        }
    }

    /** This node, by name or by the same IP written another way ({@code ::1} and {@code 0:0:0:0:0:0:0:1}). */
    private boolean isSelf(NodeName found) {
        if (found.equals(node.self())) {
            return true;
        }
        byte[] a = NetUtil.createByteArrayFromIpAddressString(found.host());
        byte[] b = NetUtil.createByteArrayFromIpAddressString(node.self().host());
        return a != null && found.name().equals(node.self().name()) && Arrays.equals(a, b);
    }

    private void retryLookUp(ClusterSettings settings, long delayMs, String message, Object... args) {
        Object[] withDelay = Arrays.copyOf(args, args.length + 1);
        withDelay[args.length] = delayMs / 1000;
        LOG.warn(message, withDelay);
        schedule(() -> lookUp(settings, Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
    }

    private synchronized void schedule(Runnable task, long delayMs) {
        if (!closed) {
            timers.removeIf(ScheduledFuture::isDone);
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

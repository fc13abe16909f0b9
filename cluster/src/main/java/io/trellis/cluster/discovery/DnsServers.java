package io.trellis.cluster.discovery;

import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.trellis.cluster.ClusterSettings;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The DNS servers of DNS discovery: {@code cluster.dns.servers} in order, or the system's
 * ({@code /etc/resolv.conf}) when that is empty. Discovery's look-ups and, with DNS discovery,
 * the look-up of a peer's host name when distribution or cluster RPC dials it go to the same
 * servers, so a name only they serve (an SRV target) resolves both when it is found and when the
 * node is dialled again. Other strategies keep Netty's default resolver (the JDK's).
 */
public final class DnsServers {
    private DnsServers() {
    }

    /** Where the look-ups of {@code settings} go. */
    static DnsServerAddressStreamProvider provider(ClusterSettings settings) {
        return settings.dnsServers().isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(settings.dnsServers().toArray(InetSocketAddress[]::new));
    }

    /**
     * A resolver builder on those servers (no event loop yet). Host names resolve to the address
     * family of distribution first ({@code cluster.proto_dist}); answers too big for UDP are asked
     * again over TCP.
     */
    static DnsNameResolverBuilder resolverBuilder(ClusterSettings settings) {
        return new DnsNameResolverBuilder().datagramChannelType(NioDatagramChannel.class)
                .socketChannelType(NioSocketChannel.class)
                .nameServerProvider(provider(settings))
                .resolvedAddressTypes(settings.ipv6Dist() ? ResolvedAddressTypes.IPV6_PREFERRED : ResolvedAddressTypes.IPV4_PREFERRED);
    }

    /**
     * What distribution and cluster RPC resolve peers' host names with: with DNS discovery a
     * resolver on the discovery servers (the caller closes it), else Netty's default.
     */
    public static AddressResolverGroup<? extends SocketAddress> hostResolver(ClusterSettings settings) {
        return settings.discovery() == ClusterSettings.DiscoveryStrategy.DNS ? new DnsAddressResolverGroup(resolverBuilder(settings))
                : DefaultAddressResolverGroup.INSTANCE;
    }
}

package io.trellis.security.ssrf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Connect-time enforcement: "connect only to what was checked". Resolves a host once, checks
 * every address against the current policy ({@link SsrfPolicy#checkConnect}), and returns the
 * exact, already-resolved socket addresses to dial, so there is no second DNS look-up between
 * the check and the connect for a rebinding name to exploit.
 *
 * <p>Scope: only dials that use these addresses (directly or through
 * {@link SsrfAddressResolverGroup}) are protected. Clients that resolve names themselves, such
 * as {@code java.net.http.HttpClient}, bypass it: see the package documentation.
 *
 * <p>Thread-safe. Resolution is blocking (the {@link HostResolver}'s call).
 */
public final class SsrfGuard {

    private final Supplier<SsrfPolicy> policy;
    private final HostResolver resolver;

    /**
     * @param policy read at every call, so a change in an {@link SsrfPolicyHolder} applies at the
     *     next connect
     */
    public SsrfGuard(Supplier<SsrfPolicy> policy, HostResolver resolver) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /**
     * @return the addresses to dial, each resolved and checked, carrying {@code host} as its
     *     name (for logs) without a further look-up
     * @throws SsrfRefusedException when any address (or the host itself) is denied
     * @throws UnknownHostException when the host is not a valid host or does not resolve: an
     *     unresolvable host is never dialled
     */
    public List<InetSocketAddress> resolve(String host, int port) throws SsrfRefusedException, UnknownHostException {
        Target target;
        try {
            target = Target.ofHost(host, port);
        } catch (IllegalArgumentException e) {
            throw new UnknownHostException("Invalid host: " + e.getMessage());
        }
        SsrfPolicy current = policy.get();
        // deny_hosts first, before any look-up, as at configuration time.
        if (current.checkConnect(target.name(), List.of()) instanceof SsrfDecision.Denied denied) {
            throw new SsrfRefusedException(denied);
        }
        List<InetAddress> addresses;
        if (target.isLiteral()) {
            addresses = List.of(target.literal().toInetAddress());
        } else {
            List<InetAddress> found = resolver.resolve(target.name());
            if (found == null || found.isEmpty()) {
                throw new UnknownHostException(target.name() + ": no address");
            }
            addresses = new ArrayList<>(found.size());
            for (InetAddress address : found) {
                // Keep the name for logs and messages; the bytes are the ones checked.
                addresses.add(address instanceof Inet6Address v6 && v6.getScopeId() != 0
                        ? Inet6Address.getByAddress(target.name(), v6.getAddress(), v6.getScopeId())
                        : InetAddress.getByAddress(target.name(), address.getAddress()));
            }
        }
        SsrfDecision decision = current.checkConnect(target.display(), addresses);
        if (decision instanceof SsrfDecision.Denied denied) {
            throw new SsrfRefusedException(denied);
        }
        List<InetSocketAddress> dial = new ArrayList<>(addresses.size());
        for (InetAddress address : addresses) {
            dial.add(new InetSocketAddress(address, port));
        }
        return List.copyOf(dial);
    }

    /**
     * The same guard for a socket address: an unresolved one is resolved and checked as above;
     * a resolved one (the JDK already looked it up, or it is a literal) is checked as it stands,
     * and returned unchanged, so what is checked is what is dialled.
     */
    public List<InetSocketAddress> resolve(InetSocketAddress address) throws SsrfRefusedException, UnknownHostException {
        if (address.isUnresolved()) {
            return resolve(address.getHostString(), address.getPort());
        }
        SsrfPolicy current = policy.get();
        String host = address.getHostString();
        SsrfDecision decision = current.checkConnect(host, List.of(address.getAddress()));
        if (decision instanceof SsrfDecision.Denied denied) {
            throw new SsrfRefusedException(denied);
        }
        return List.of(address);
    }
}

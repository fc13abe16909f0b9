package io.trellis.security.ssrf;

import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * A Netty resolver group that puts every outbound connect of a client {@code Bootstrap} through
 * {@link SsrfGuard}: {@code bootstrap.resolver(new SsrfAddressResolverGroup(guard))}. The MQTT
 * bridge and the HTTP webhook client dial through it, so they can reach only addresses the
 * current policy allows, whatever DNS answers after configuration time.
 *
 * <p>Every {@link InetSocketAddress} goes through the guard, resolved ones too: Netty skips the
 * resolver for addresses it considers resolved, which would let
 * {@code connect(new InetSocketAddress("127.0.0.1", port))} past the policy, so this resolver
 * reports none as resolved. A refused connect fails its future with
 * {@link SsrfRefusedException}. Addresses of other types (local, unix domain) are not network
 * targets and pass untouched.
 *
 * <p>Resolution runs on the channel's event loop and blocks it for the look-up, as Netty's
 * default resolver does; a non-blocking {@link HostResolver} can replace it later.
 */
public final class SsrfAddressResolverGroup extends AddressResolverGroup<InetSocketAddress> {

    private final SsrfGuard guard;

    public SsrfAddressResolverGroup(SsrfGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new GuardedResolver(executor, guard);
    }

    private static final class GuardedResolver extends AbstractAddressResolver<InetSocketAddress> {
        private final SsrfGuard guard;

        GuardedResolver(EventExecutor executor, SsrfGuard guard) {
            super(executor, InetSocketAddress.class);
            this.guard = guard;
        }

        @Override
        protected boolean doIsResolved(InetSocketAddress address) {
            return false; // so that Bootstrap never dials an address the guard has not seen
        }

        @Override
        protected void doResolve(InetSocketAddress address, Promise<InetSocketAddress> promise) {
            try {
                promise.setSuccess(guard.resolve(address).get(0));
            } catch (Exception e) {
                promise.setFailure(e);
            }
        }

        @Override
        protected void doResolveAll(InetSocketAddress address, Promise<List<InetSocketAddress>> promise) {
            try {
                promise.setSuccess(guard.resolve(address));
            } catch (Exception e) {
                promise.setFailure(e);
            }
        }
    }
}

package io.trellis.security.ssrf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connect-time enforcement: resolve once, check, dial exactly what was checked. */
class SsrfGuardTest {

    private static final String PUBLIC = "93.184.216.34";
    private static final byte CONTROL = 42;

    private static final SsrfPolicy ON = SsrfPolicy.builder().enable(true).build();
    private static final SsrfPolicy ALLOW_LOOPBACK_ONE =
            SsrfPolicy.builder().enable(true).allowCidrs(List.of("127.0.0.1/32")).build();

    private ServerSocket server;
    private EventLoopGroup group;

    @BeforeEach
    void startServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(10_000);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void resolvesOnceAndReturnsTheCheckedAddresses() throws Exception {
        FakeResolver dns = new FakeResolver().answer("public.example", PUBLIC, "2606:2800:220:1:248:1893:25c8:1946");
        SsrfGuard guard = new SsrfGuard(() -> ON, dns);

        List<InetSocketAddress> dial = guard.resolve("Public.Example.", 443);

        assertThat(dns.lookups("public.example")).isEqualTo(1);
        assertThat(dial).hasSize(2).allSatisfy(a -> {
            assertThat(a.isUnresolved()).isFalse();
            assertThat(a.getPort()).isEqualTo(443);
            assertThat(a.getHostString()).isEqualTo("public.example");
        });
        assertThat(dial.get(0).getAddress().getHostAddress()).isEqualTo(PUBLIC);
    }

    @Test
    void aNameWithOnePublicAndOnePrivateAddressIsRefused() {
        FakeResolver dns = new FakeResolver().answer("mixed.example", PUBLIC, "10.0.0.7");
        SsrfGuard guard = new SsrfGuard(() -> ON, dns);

        assertThatThrownBy(() -> guard.resolve("mixed.example", 80))
                .isInstanceOfSatisfying(SsrfRefusedException.class, e -> {
                    assertThat(e.decision().key()).isEqualTo("rule_engine.ssrf.deny_cidrs");
                    assertThat(e).hasMessageContaining("mixed.example -> 10.0.0.7 (matches 10.0.0.0/8)");
                });
    }

    @Test
    void anUnresolvableNameIsNeverDialled() {
        SsrfGuard guard = new SsrfGuard(() -> ON, new FakeResolver().answer("empty.example"));
        assertThatThrownBy(() -> guard.resolve("nowhere.example", 80)).isInstanceOf(UnknownHostException.class);
        assertThatThrownBy(() -> guard.resolve("empty.example", 80)).isInstanceOf(UnknownHostException.class);
        assertThatThrownBy(() -> guard.resolve("256.0.0.1", 80)).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("not a valid one");
    }

    @Test
    void denyHostsAreRefusedWithoutALookUp() {
        FakeResolver dns = new FakeResolver().answer("metadata.google.internal", PUBLIC);
        SsrfGuard guard = new SsrfGuard(() -> ON, dns);
        assertThatThrownBy(() -> guard.resolve("Metadata.Google.Internal.", 80))
                .isInstanceOfSatisfying(SsrfRefusedException.class,
                        e -> assertThat(e.decision().key()).isEqualTo("rule_engine.ssrf.deny_hosts"));
        assertThat(dns.lookups("metadata.google.internal")).isZero();
    }

    @Test
    void numericFormsAreDialledAsTheAddressTheyWereCheckedAs() throws Exception {
        FakeResolver dns = new FakeResolver();
        assertThatThrownBy(() -> new SsrfGuard(() -> ON, dns).resolve("0x7f.1", 80))
                .isInstanceOf(SsrfRefusedException.class).hasMessageContaining("-> 127.0.0.1 (matches 127.0.0.0/8)");

        List<InetSocketAddress> dial = new SsrfGuard(() -> ALLOW_LOOPBACK_ONE, dns).resolve("2130706433", 80);
        assertThat(dial).extracting(a -> a.getAddress().getHostAddress()).containsExactly("127.0.0.1");
        assertThat(dns.lookups("2130706433")).isZero();
    }

    @Test
    void aPolicyChangeTakesEffectAtTheNextConnect() throws Exception {
        SsrfPolicyHolder holder = new SsrfPolicyHolder(ON);
        SsrfGuard guard = new SsrfGuard(holder, new FakeResolver());

        assertThatThrownBy(() -> guard.resolve("127.0.0.1", 80)).isInstanceOf(SsrfRefusedException.class);
        assertThat(holder.set(ALLOW_LOOPBACK_ONE)).isSameAs(ON);
        assertThat(guard.resolve("127.0.0.1", 80)).hasSize(1);
        assertThatThrownBy(() -> guard.resolve("127.0.0.2", 80)).isInstanceOf(SsrfRefusedException.class);
        holder.set(SsrfPolicy.defaults());
        assertThat(guard.resolve("127.0.0.2", 80)).hasSize(1);
    }

    @Test
    void dnsRebindingPassesTheConfigurationCheckButIsNeverDialled() throws Exception {
        FakeResolver dns = new FakeResolver().answerInTurn("rebind.example", List.of(PUBLIC), List.of("127.0.0.1"));
        SsrfGuard guard = new SsrfGuard(() -> ON, dns);
        int port = server.getLocalPort();

        assertThat(ON.checkUrl("http://rebind.example:" + port + "/", dns).passes()).isTrue();

        assertThatThrownBy(() -> dialThrough(guard, "rebind.example", port))
                .isInstanceOf(SsrfRefusedException.class)
                .hasMessageContaining("rebind.example -> 127.0.0.1 (matches 127.0.0.0/8)");
        assertThat(dns.lookups("rebind.example")).isEqualTo(2);
        assertFirstConnectionIsTheControlOne();
    }

    @Test
    void nettyBootstrapWithTheResolverGroupCannotReachARebindingName() throws Exception {
        FakeResolver dns = new FakeResolver().answerInTurn("rebind.example", List.of(PUBLIC), List.of("127.0.0.1"));
        SsrfPolicyHolder holder = new SsrfPolicyHolder(ON);
        Bootstrap bootstrap = bootstrap(new SsrfGuard(holder, dns));
        int port = server.getLocalPort();
        assertThat(ON.checkServer("rebind.example:" + port, dns).passes()).isTrue();

        Throwable unresolved = connectFailure(bootstrap, InetSocketAddress.createUnresolved("rebind.example", port));
        assertThat(unresolved).isInstanceOf(SsrfRefusedException.class)
                .hasMessageContaining("rebind.example -> 127.0.0.1 (matches 127.0.0.0/8)");

        // An address the JDK has already resolved does not skip the policy.
        Throwable resolved = connectFailure(bootstrap, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        assertThat(resolved).isInstanceOf(SsrfRefusedException.class).hasMessageContaining("(matches 127.0.0.0/8)");

        assertFirstConnectionIsTheControlOne();

        // The same bootstrap connects once the policy allows the address: the refusals were the policy's.
        holder.set(ALLOW_LOOPBACK_ONE);
        ChannelFuture ok = bootstrap.connect(InetSocketAddress.createUnresolved("rebind.example", port));
        assertThat(ok.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.cause()).isNull();
        try (Socket accepted = server.accept()) {
            assertThat(accepted.getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
        } finally {
            ok.channel().close().sync();
        }
    }

    @Test
    void aDisabledPolicyStillResolvesOnceButRefusesNothing() throws Exception {
        FakeResolver dns = new FakeResolver().answer("internal.example", "10.0.0.7");
        List<InetSocketAddress> dial = new SsrfGuard(SsrfPolicy::defaults, dns).resolve("internal.example", 80);
        assertThat(dial).extracting(a -> a.getAddress().getHostAddress()).containsExactly("10.0.0.7");
        assertThat(dns.lookups("internal.example")).isEqualTo(1);
    }

    @Test
    void nettyResolveAllReturnsEveryCheckedAddressOrFails() throws Exception {
        FakeResolver dns = new FakeResolver()
                .answer("dual.example", PUBLIC, "2606:2800:220:1:248:1893:25c8:1946")
                .answer("mixed.example", PUBLIC, "::1");
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (SsrfAddressResolverGroup resolvers = new SsrfAddressResolverGroup(new SsrfGuard(() -> ON, dns))) {
            var resolver = resolvers.getResolver(group.next());
            List<InetSocketAddress> all =
                    resolver.resolveAll(InetSocketAddress.createUnresolved("dual.example", 8883)).sync().getNow();
            assertThat(all).extracting(a -> a.getAddress().getHostAddress())
                    .containsExactly(PUBLIC, "2606:2800:220:1:248:1893:25c8:1946");
            var refused = resolver.resolveAll(InetSocketAddress.createUnresolved("mixed.example", 8883)).await();
            assertThat(refused.cause()).isInstanceOf(SsrfRefusedException.class)
                    .hasMessageContaining("mixed.example -> ::1 (matches ::1/128)");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What a connector does: ask the guard, then dial exactly what it returned. */
    private static void dialThrough(SsrfGuard guard, String host, int port) throws IOException {
        for (InetSocketAddress address : guard.resolve(host, port)) {
            try (Socket socket = new Socket()) {
                socket.connect(address, 10_000);
                return;
            }
        }
    }

    /**
     * Proves that nothing reached the server: a control client connects and sends a marker
     * after the refused attempts; the accept queue is first-in first-out, so if a refused attempt
     * had connected, its connection would be accepted first.
     */
    private void assertFirstConnectionIsTheControlOne() throws IOException {
        try (Socket control = new Socket(InetAddress.getByName("127.0.0.1"), server.getLocalPort())) {
            control.getOutputStream().write(CONTROL);
            control.getOutputStream().flush();
            try (Socket first = server.accept()) {
                first.setSoTimeout(10_000);
                InputStream in = first.getInputStream();
                assertThat(in.read()).as("first byte on the first accepted connection").isEqualTo(CONTROL);
            }
        }
    }

    private Bootstrap bootstrap(SsrfGuard guard) {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        return new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .resolver(new SsrfAddressResolverGroup(guard))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        // nothing: these tests are about where the channel connects
                    }
                });
    }

    private static Throwable connectFailure(Bootstrap bootstrap, SocketAddress address) throws InterruptedException {
        ChannelFuture future = bootstrap.connect(address);
        assertThat(future.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(future.isSuccess()).as("connect to " + address).isFalse();
        return future.cause();
    }
}

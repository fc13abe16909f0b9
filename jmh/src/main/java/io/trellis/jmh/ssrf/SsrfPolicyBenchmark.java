package io.trellis.jmh.ssrf;

import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfDecision;
import io.trellis.security.ssrf.SsrfGuard;
import io.trellis.security.ssrf.SsrfPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the SSRF policy check (issue 5): at configuration time ({@link SsrfPolicy#checkUrl})
 * and per connect ({@link SsrfGuard#resolve}). The policy is enabled with EMQX's default
 * {@code deny_cidrs} / {@code deny_hosts}; names go through a fake resolver answering a public
 * address at once, so the figures are the check alone, without DNS.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class SsrfPolicyBenchmark {

    private static final String IP_URL = "http://93.184.215.14:8080/webhook";
    private static final String NAME_URL = "https://hooks.example.com/api/v1/events";
    private static final String DENIED_URL = "http://169.254.169.254/latest/meta-data/";

    private SsrfPolicy policy;
    private HostResolver fakeResolver;
    private SsrfGuard guard;

    @Setup
    public void setUp() throws UnknownHostException {
        // Enabled, defaults otherwise: the default deny list is what is walked.
        policy = SsrfPolicy.builder().enable(true).build();
        List<InetAddress> publicAddress = List.of(InetAddress.getByAddress("hooks.example.com",
                new byte[] {93, (byte) 184, (byte) 215, 14}));
        fakeResolver = name -> publicAddress;
        guard = new SsrfGuard(() -> policy, fakeResolver);
        requirePasses(policy.checkUrl(IP_URL, fakeResolver));
        requirePasses(policy.checkUrl(NAME_URL, fakeResolver));
        if (policy.checkUrl(DENIED_URL, fakeResolver).passes()) {
            throw new IllegalStateException("metadata address should be denied by the default deny list");
        }
    }

    private static void requirePasses(SsrfDecision decision) {
        if (!decision.passes()) {
            throw new IllegalStateException("benchmark target should pass: " + decision.message());
        }
    }

    /** checkUrl, IP literal: parse the URL, walk the default deny list, allowed. */
    @Benchmark
    public SsrfDecision checkUrlIpLiteral() {
        return policy.checkUrl(IP_URL, fakeResolver);
    }

    /** checkUrl, host name resolved by the fake resolver to one public address, allowed. */
    @Benchmark
    public SsrfDecision checkUrlNameFakeResolver() {
        return policy.checkUrl(NAME_URL, fakeResolver);
    }

    /** checkUrl, IP literal denied by the default deny list (169.254.0.0/16, metadata). */
    @Benchmark
    public SsrfDecision checkUrlDeniedByDefaultList() {
        return policy.checkUrl(DENIED_URL, fakeResolver);
    }

    /** Per connect: SsrfGuard resolves (fake), checks every address, returns what to dial. */
    @Benchmark
    public List<InetSocketAddress> guardResolvePerConnect() throws Exception {
        return guard.resolve("hooks.example.com", 443);
    }
}

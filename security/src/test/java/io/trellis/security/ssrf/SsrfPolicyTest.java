package io.trellis.security.ssrf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The policy as a pure function: target + what DNS answers -> decision. */
class SsrfPolicyTest {

    private static final String PUBLIC = "93.184.216.34";

    private static final FakeResolver DNS = new FakeResolver()
            .answer("public.example", PUBLIC)
            .answer("public6.example", "2606:2800:220:1:248:1893:25c8:1946")
            .answer("dual.example", PUBLIC, "2606:2800:220:1:248:1893:25c8:1946")
            .answer("internal.example", "10.1.2.3")
            .answer("mixed.example", PUBLIC, "127.0.0.1")
            .answer("localhost", "127.0.0.1", "::1")
            .answer("v6loop.example", "::1")
            .answer("mapped.example", "::ffff:127.0.0.1")
            .answer("nat64.example", "64:ff9b::a00:1")
            .answer("allowmix.example", "10.1.2.3", "127.0.0.1")
            .answer("metadata.google.internal", "169.254.169.254")
            .answer("empty.example");

    private static final SsrfPolicy ON = SsrfPolicy.builder().enable(true).build();

    enum Outcome { ALLOWED, DENIED, UNRESOLVED, INVALID }

    private static Arguments url(String url, Outcome outcome, String text) {
        return Arguments.of("url", url, outcome, text);
    }

    private static Arguments server(String server, Outcome outcome, String text) {
        return Arguments.of("server", server, outcome, text);
    }

    private static Arguments host(String host, Outcome outcome, String text) {
        return Arguments.of("host", host, outcome, text);
    }

    static Stream<Arguments> defaultPolicyCases() {
        Outcome A = Outcome.ALLOWED;
        Outcome D = Outcome.DENIED;
        Outcome U = Outcome.UNRESOLVED;
        Outcome I = Outcome.INVALID;
        return Stream.of(
                // public literals and names
                url("http://93.184.216.34/", A, ""),
                url("https://public.example/hook?x=1", A, ""),
                url("HTTPS://Public.Example./", A, ""),
                url("https://public6.example/", A, ""),
                url("https://dual.example/", A, ""),
                url("http://[2606:2800:220:1:248:1893:25c8:1946]:8080/", A, ""),
                url("http://172.32.0.1/", A, ""),
                url("http://172.15.255.255/", A, ""),
                url("http://1.2.3/", A, ""), // inet_aton: 1.2.0.3
                // private and special ranges, every default entry
                url("http://127.0.0.1/", D, "127.0.0.1 -> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://127.255.255.254/", D, "(matches 127.0.0.0/8)"),
                url("http://[::1]/", D, "(matches ::1/128)"),
                url("http://169.254.169.254/latest/meta-data/", D, "(matches 169.254.0.0/16)"),
                url("http://[fe80::1]/", D, "(matches fe80::/10)"),
                url("http://10.0.0.1/", D, "(matches 10.0.0.0/8)"),
                url("http://172.16.0.1/", D, "(matches 172.16.0.0/12)"),
                url("http://172.31.255.255/", D, "(matches 172.16.0.0/12)"),
                url("http://192.168.1.1/", D, "(matches 192.168.0.0/16)"),
                url("http://[fd00:ec2::254]/", D, "(matches fc00::/7)"),
                url("http://0.0.0.0/", D, "(matches 0.0.0.0/8)"),
                url("http://0.1.2.3/", D, "(matches 0.0.0.0/8)"),
                url("http://[::]/", D, "(matches ::/128)"),
                url("http://224.0.0.1/", D, "(matches 224.0.0.0/4)"),
                url("http://[ff02::1]/", D, "(matches ff00::/8)"),
                url("http://100.100.100.200/", D, "(matches 100.100.100.200/32)"),
                // numeric forms as inet_aton reads them
                url("http://2130706433/", D, "2130706433 -> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://0x7f.0.0.1/", D, "-> 127.0.0.1 (matches"),
                url("http://0177.0.0.1/", D, "-> 127.0.0.1 (matches"),
                url("http://127.1/", D, "-> 127.0.0.1 (matches"),
                url("http://0x7f000001/", D, "-> 127.0.0.1 (matches"),
                url("http://0x7F.1/", D, "-> 127.0.0.1 (matches"),
                url("http://0/", D, "-> 0.0.0.0 (matches 0.0.0.0/8)"),
                url("http://012.1/", D, "-> 10.0.0.1 (matches 10.0.0.0/8)"),
                url("http://127.0.0.1./", D, "-> 127.0.0.1 (matches"),
                // userinfo, brackets, zone ids
                url("http://public@127.0.0.1/", D, "127.0.0.1 -> 127.0.0.1"),
                url("http://public.example@127.0.0.1:8080/", D, "-> 127.0.0.1"),
                url("http://127.0.0.1@public.example/", A, ""),
                url("http://[fe80::1%25eth0]/", D, "(matches fe80::/10)"),
                host("fe80::1%eth0", D, "(matches fe80::/10)"),
                host("[::1]", D, "(matches ::1/128)"),
                // internationalised names and look-alike characters
                url("http://１２７.０.０.１/", D, "-> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://127。0。0。1/", D, "-> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", D, "-> 127.0.0.1"),
                url("http://bücher.example/", U, "bücher.example"),
                url("http://a\u00adb\u200d.example/", U, ""),
                // IPv6 forms that carry IPv4
                url("http://[::ffff:127.0.0.1]/", D, "-> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://[::ffff:7f00:1]/", D, "-> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://[::ffff:93.184.216.34]/", A, ""),
                url("http://[::127.0.0.1]/", D, "-> ::7f00:1 (embeds 127.0.0.1) (matches 127.0.0.0/8)"),
                url("http://[::10.0.0.1]/", D, "(embeds 10.0.0.1) (matches 10.0.0.0/8)"),
                url("http://[64:ff9b::127.0.0.1]/", D, "(embeds 127.0.0.1) (matches 127.0.0.0/8)"),
                url("http://[64:ff9b::a9fe:a9fe]/", D, "(embeds 169.254.169.254) (matches 169.254.0.0/16)"),
                url("http://[64:ff9b::5db8:d822]/", A, ""),
                url("http://[2002:7f00:1::]/", D, "(embeds 127.0.0.1) (matches 127.0.0.0/8)"),
                url("http://[2002:c0a8:101::1]/", D, "(embeds 192.168.1.1) (matches 192.168.0.0/16)"),
                url("http://[2002:5db8:d822::1]/", A, ""),
                // names resolved through DNS
                url("https://internal.example/", D, "internal.example -> 10.1.2.3 (matches 10.0.0.0/8)"),
                url("https://mixed.example/", D, "mixed.example -> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://localhost:8080/", D, "localhost -> 127.0.0.1"),
                url("http://LOCALHOST./", D, "-> 127.0.0.1"),
                url("http://v6loop.example/", D, "-> ::1 (matches ::1/128)"),
                url("http://mapped.example/", D, "-> 127.0.0.1 (matches 127.0.0.0/8)"),
                url("http://nat64.example/", D, "(embeds 10.0.0.1) (matches 10.0.0.0/8)"),
                url("http://nowhere.example/", U, "Host does not resolve now: nowhere.example"),
                url("http://empty.example/", U, "does not resolve"),
                // deny_hosts: exact, case-insensitive, trailing dot ignored, before DNS
                url("http://metadata.google.internal/computeMetadata/v1/", D, "Host is on the SSRF denylist: metadata.google.internal."),
                url("http://METADATA.Google.Internal./", D, "Host is on the SSRF denylist"),
                url("http://metadata.tencentyun.com/", D, "Host is on the SSRF denylist"),
                url("http://x.metadata.azure.internal/", U, ""), // exact match only, as in EMQX
                server("metadata.azure.internal:1883", D, "Host is on the SSRF denylist"),
                // MQTT bridge server
                server("public.example", A, ""),
                server("public.example:8883", A, ""),
                server("127.0.0.1:1883", D, "-> 127.0.0.1"),
                server("[::1]:1883", D, "(matches ::1/128)"),
                server("2130706433:1883", D, "-> 127.0.0.1"),
                server("internal.example:1883", D, "-> 10.1.2.3"),
                server("::1", I, "write an IPv6 address in brackets"),
                server("mqtt://public.example:1883", I, "without a scheme"),
                server("public.example:0", I, "port '0'"),
                server("public.example:65536", I, "port '65536'"),
                server("user@127.0.0.1:1883", I, "without '@'"),
                server("a:1883,b:1883", I, "without ','"),
                server("", I, "the server is empty"),
                // malformed URLs and hosts
                url("ftp://public.example/", I, "must start with http:// or https:// (scheme 'ftp' is not supported)"),
                url("file:///etc/passwd", I, "must start with http:// or https://"),
                url("gopher://127.0.0.1:70/", I, "must start with http:// or https://"),
                url("public.example/path", I, "must start with http:// or https://"),
                url("http:///path", I, "has no host"),
                url("http://256.0.0.1/", I, "looks like a numeric IPv4 address"),
                url("http://08.0.0.1/", I, "looks like a numeric IPv4 address"),
                url("http://4294967296/", I, "looks like a numeric IPv4 address"),
                url("http://%31%32%37.0.0.1/", I, "percent-encoded"),
                url("http://127.0.0.1:99999/", I, "port '99999'"),
                url("http://[::1/", I, "is not a valid URL"),
                url("http://evil.example\\@127.0.0.1/", I, "is not a valid URL"),
                url("http://[1::2::3]/", I, "is not a valid"),
                host("", I, "the host is empty"),
                host("bad host", I, "not a valid host name"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("defaultPolicyCases")
    void defaultPolicyEnabled(String kind, String input, Outcome outcome, String text) {
        SsrfDecision decision = check(ON, kind, input);
        assertOutcome(decision, outcome, text);
        if (outcome == Outcome.DENIED) {
            assertThat(decision.message()).endsWith(decision.message().startsWith("Host is on")
                    ? "Adjust rule_engine.ssrf.deny_hosts or set rule_engine.ssrf.enable=false."
                    : "Adjust rule_engine.ssrf.deny_cidrs, rule_engine.ssrf.allow_cidrs, or set rule_engine.ssrf.enable=false.");
        }
    }

    @ParameterizedTest(name = "disabled: {0} {1}")
    @MethodSource("defaultPolicyCases")
    void disabledPolicyAllowsEveryWellFormedTarget(String kind, String input, Outcome outcome, String text) {
        SsrfDecision decision = check(SsrfPolicy.defaults(), kind, input);
        if (outcome == Outcome.INVALID) {
            assertOutcome(decision, Outcome.INVALID, text);
        } else {
            assertThat(decision).isInstanceOf(SsrfDecision.Allowed.class);
        }
    }

    @Test
    void disabledPolicyLooksNothingUp() {
        FakeResolver dns = new FakeResolver().answer("internal.example", "10.1.2.3");
        assertThat(SsrfPolicy.defaults().checkUrl("http://internal.example/", dns).passes()).isTrue();
        assertThat(dns.lookups("internal.example")).isZero();
    }

    @Test
    void denyHostsAreCheckedBeforeAnyLookUp() {
        FakeResolver dns = new FakeResolver().answer("metadata.google.internal", PUBLIC);
        SsrfPolicy allowEverything = SsrfPolicy.builder().enable(true).allowCidrs(List.of("0.0.0.0/0", "::/0")).build();
        SsrfDecision decision = allowEverything.checkUrl("http://metadata.google.internal/", dns);
        assertThat(decision).isEqualTo(new SsrfDecision.Denied("metadata.google.internal",
                "Host is on the SSRF denylist: metadata.google.internal. Adjust rule_engine.ssrf.deny_hosts or set "
                        + "rule_engine.ssrf.enable=false.", "rule_engine.ssrf.deny_hosts"));
        assertThat(dns.lookups("metadata.google.internal")).isZero();
    }

    @Test
    void deniedRangeNamesTheKeyAndQuotesEmqxText() {
        SsrfDecision decision = ON.checkUrl("https://internal.example/x", DNS);
        assertThat(decision).isEqualTo(new SsrfDecision.Denied("internal.example",
                "Address resolves to a denied range: internal.example -> 10.1.2.3 (matches 10.0.0.0/8). Adjust "
                        + "rule_engine.ssrf.deny_cidrs, rule_engine.ssrf.allow_cidrs, or set rule_engine.ssrf.enable=false.",
                "rule_engine.ssrf.deny_cidrs"));
    }

    @Test
    void allowedCarriesTheCheckedAddresses() {
        SsrfDecision decision = ON.checkUrl("https://dual.example/", DNS);
        assertThat(decision).isInstanceOf(SsrfDecision.Allowed.class);
        assertThat(((SsrfDecision.Allowed) decision).addresses()).hasSize(2);
    }

    @Test
    void credentialsInUserinfoNeverReachAMessage() {
        for (String url : List.of("http://admin:s3cret@127.0.0.1/", "ftp://admin:s3cret@public.example/",
                "http://admin:s3cret@[::1/", "http://admin:s3cret@127.0.0.1:99999/")) {
            SsrfDecision decision = ON.checkUrl(url, DNS);
            assertThat(decision.passes()).as(url).isFalse();
            assertThat(decision.message()).as(url).doesNotContain("s3cret").doesNotContain("admin");
            assertThat(decision.toString()).as(url).doesNotContain("s3cret");
        }
        SsrfDecision server = ON.checkServer("admin:s3cret@127.0.0.1:1883", DNS);
        assertThat(server.message()).contains("without '@'").doesNotContain("s3cret");
    }

    @Test
    void serverPortDefaultsTo1883() {
        assertThat(Target.ofServer("public.example").port()).isEqualTo(1883);
        assertThat(Target.ofServer("[::1]:8883").port()).isEqualTo(8883);
        assertThat(Target.ofUrl("https://public.example/").port()).isEqualTo(443);
        assertThat(Target.ofUrl("http://public.example/").port()).isEqualTo(80);
    }

    // ------------------------------------------------------------------ allow / deny overlaps

    static Stream<Arguments> overlapCases() {
        Outcome A = Outcome.ALLOWED;
        Outcome D = Outcome.DENIED;
        return Stream.of(
                Arguments.of(List.of("10.1.0.0/16"), List.of(), "http://internal.example/", A),
                Arguments.of(List.of("10.1.0.0/16"), List.of(), "http://10.2.0.1/", D),
                Arguments.of(List.of("127.0.0.1/32"), List.of(), "http://127.0.0.1/", A),
                Arguments.of(List.of("127.0.0.1/32"), List.of(), "http://2130706433/", A),
                Arguments.of(List.of("127.0.0.1/32"), List.of(), "http://127.0.0.2/", D),
                Arguments.of(List.of("127.0.0.1/32"), List.of(), "http://[::ffff:127.0.0.1]/", A),
                Arguments.of(List.of("::1/128"), List.of(), "http://localhost/", A), // any address allowed: EMQX
                // EMQX's rule at configuration time: one allowed address makes the host allowed
                Arguments.of(List.of("10.1.0.0/16"), List.of(), "http://allowmix.example/", A),
                // an embedded IPv4 must be allowed itself, allowing the translation prefix is not enough
                Arguments.of(List.of("64:ff9b::/96"), List.of(), "http://[64:ff9b::127.0.0.1]/", D),
                Arguments.of(List.of("64:ff9b::/96", "127.0.0.0/8"), List.of(), "http://[64:ff9b::127.0.0.1]/", A),
                Arguments.of(List.of("127.0.0.0/8"), List.of(), "http://[2002:7f00:1::]/", A),
                // operator's own deny entries for translation prefixes still apply
                Arguments.of(List.of(), List.of("2002::/16"), "http://[2002:5db8:d822::1]/", D),
                Arguments.of(List.of(), List.of("93.184.216.0/24"), "https://public.example/", D),
                Arguments.of(List.of(), List.of("93.184.216.0/24"), "http://[64:ff9b::5db8:d822]/", D),
                // an empty deny list allows everything but deny_hosts
                Arguments.of(List.of(), List.of(), "http://127.0.0.1/", A),
                Arguments.of(List.of(), List.of(), "http://metadata.google.internal/", D));
    }

    @ParameterizedTest(name = "allow={0} deny={1}: {2} -> {3}")
    @MethodSource("overlapCases")
    void allowWinsOverDeny(List<String> allow, List<String> deny, String url, Outcome outcome) {
        SsrfPolicy.Builder builder = SsrfPolicy.builder().enable(true).allowCidrs(allow);
        if (!deny.isEmpty() || allow.isEmpty()) {
            builder.denyCidrs(deny);
        }
        assertOutcome(builder.build().checkUrl(url, DNS), outcome, "");
    }

    @Test
    void denyHostsAreNormalisedWhenConfigured() {
        SsrfPolicy policy = SsrfPolicy.builder().enable(true).denyHosts(List.of("Evil.Example.", " other.example ")).build();
        assertThat(policy.denyHosts()).containsExactlyInAnyOrder("evil.example", "other.example");
        assertOutcome(policy.checkUrl("http://EVIL.example/", DNS), Outcome.DENIED, "Host is on the SSRF denylist: EVIL.example.");
        assertOutcome(policy.checkUrl("http://evil.example../", DNS), Outcome.DENIED, "denylist");
    }

    // ------------------------------------------------------------------ connect-time rule

    @Test
    void atConnectTimeEveryAddressMustPassOnItsOwn() {
        SsrfPolicy policy = SsrfPolicy.builder().enable(true).allowCidrs(List.of("10.1.0.0/16")).build();
        assertThat(policy.checkUrl("http://allowmix.example/", DNS).passes()).isTrue();
        SsrfDecision atConnect = policy.checkConnect("allowmix.example", FakeResolver.parse("10.1.2.3", "127.0.0.1"));
        assertOutcome(atConnect, Outcome.DENIED, "allowmix.example -> 127.0.0.1 (matches 127.0.0.0/8)");
        assertOutcome(ON.checkConnect("mixed.example", FakeResolver.parse(PUBLIC, "127.0.0.1")), Outcome.DENIED, "-> 127.0.0.1");
        assertOutcome(ON.checkConnect("public.example", FakeResolver.parse(PUBLIC)), Outcome.ALLOWED, "");
    }

    // ------------------------------------------------------------------ defaults and strict CIDRs

    @Test
    void defaultsAreEmqxsWithTheHolesClosed() {
        SsrfPolicy defaults = SsrfPolicy.defaults();
        assertThat(defaults.enabled()).isFalse();
        assertThat(defaults.allowCidrs()).isEmpty();
        assertThat(defaults.denyCidrs()).containsExactly("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10",
                "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "0.0.0.0/8", "::/128", "224.0.0.0/4",
                "ff00::/8", "100.100.100.200/32", "169.254.169.253/32");
        assertThat(defaults.denyHosts()).containsExactlyInAnyOrder(
                "metadata.tencentyun.com", "metadata.google.internal", "metadata.azure.internal");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "10/8              | rule_engine.ssrf.deny_cidrs: '10/8' is not a CIDR (write 10.0.0.0/8)",
            "10.0.0/24         | rule_engine.ssrf.deny_cidrs: '10.0.0/24' is not a CIDR (write 10.0.0.0/24)",
            "192.168/16        | rule_engine.ssrf.deny_cidrs: '192.168/16' is not a CIDR (write 192.168.0.0/16)",
            "10.0.0.1          | rule_engine.ssrf.deny_cidrs: '10.0.0.1' has no prefix length (write 10.0.0.1/32 for one address)",
            "fd00::1           | rule_engine.ssrf.deny_cidrs: 'fd00::1' has no prefix length (write fd00::1/128 for one address)",
            "10.0.0.1/8        | rule_engine.ssrf.deny_cidrs: '10.0.0.1/8' has address bits set after the prefix length (write 10.0.0.0/8)",
            "fc00::1/7         | rule_engine.ssrf.deny_cidrs: 'fc00::1/7' has address bits set after the prefix length (write fc00::/7)",
            "010.0.0.0/8       | rule_engine.ssrf.deny_cidrs: '010.0.0.0/8' is not a CIDR",
            "0x0a.0.0.0/8      | rule_engine.ssrf.deny_cidrs: '0x0a.0.0.0/8' is not a CIDR",
            "10.0.0.0/33       | rule_engine.ssrf.deny_cidrs: '10.0.0.0/33' is not a CIDR",
            "10.0.0.0/08       | rule_engine.ssrf.deny_cidrs: '10.0.0.0/08' is not a CIDR",
            "fc00::/129        | rule_engine.ssrf.deny_cidrs: 'fc00::/129' is not a CIDR",
            "fe80::%eth0/10    | rule_engine.ssrf.deny_cidrs: 'fe80::%eth0/10' is not a CIDR",
            "10.0.0.0/255.0.0.0| rule_engine.ssrf.deny_cidrs: '10.0.0.0/255.0.0.0' is not a CIDR",
            "10.*.0.0/16       | rule_engine.ssrf.deny_cidrs: '10.*.0.0/16' is not a CIDR",
            "10.0.0.0-10.0.0.9/32| rule_engine.ssrf.deny_cidrs: '10.0.0.0-10.0.0.9/32' is not a CIDR",
            "localhost/8       | rule_engine.ssrf.deny_cidrs: 'localhost/8' is not a CIDR",
    })
    void strictCidrErrorsNameTheKeyAndTheFix(String cidr, String expected) {
        assertThatThrownBy(() -> SsrfPolicy.builder().denyCidrs(List.of(cidr)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0/0", "::/0", "10.0.0.0/8", "fc00::/7", "1.2.3.4/32", "2001:db8::/32",
            "::ffff:0:0/96", "64:ff9b::/96"})
    void wellFormedCidrsAreAccepted(String cidr) {
        assertThat(SsrfPolicy.builder().allowCidrs(List.of(cidr)).build().allowCidrs()).containsExactly(cidr);
    }

    @Test
    void everyProblemIsReportedAtOnceUnderItsOwnKey() {
        assertThatThrownBy(() -> SsrfPolicy.builder()
                        .allowCidrs(List.of("10/8"))
                        .denyCidrs(List.of("", "fc00::/7", "1.2.3/24"))
                        .denyHosts(List.of("ok.example", ""))
                        .build())
                .hasMessage(String.join("\n",
                        "rule_engine.ssrf.allow_cidrs: '10/8' is not a CIDR (write 10.0.0.0/8)",
                        "rule_engine.ssrf.deny_cidrs: an empty entry is not a CIDR (write e.g. 10.0.0.0/8 or fc00::/7)",
                        "rule_engine.ssrf.deny_cidrs: '1.2.3/24' is not a CIDR (write 1.2.3.0/24)",
                        "rule_engine.ssrf.deny_hosts: an empty entry is not a host name (remove it)"));
    }

    // ------------------------------------------------------------------ helpers

    private static SsrfDecision check(SsrfPolicy policy, String kind, String input) {
        return switch (kind) {
            case "url" -> policy.checkUrl(input, DNS);
            case "server" -> policy.checkServer(input, DNS);
            case "host" -> policy.checkHost(input, DNS);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static void assertOutcome(SsrfDecision decision, Outcome outcome, String text) {
        Class<?> expected = switch (outcome) {
            case ALLOWED -> SsrfDecision.Allowed.class;
            case DENIED -> SsrfDecision.Denied.class;
            case UNRESOLVED -> SsrfDecision.Unresolved.class;
            case INVALID -> SsrfDecision.Invalid.class;
        };
        assertThat(decision).as(decision.message()).isInstanceOf(expected);
        assertThat(decision.passes()).isEqualTo(outcome != Outcome.DENIED && outcome != Outcome.INVALID);
        assertThat(decision.message()).contains(text);
    }
}

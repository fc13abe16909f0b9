package io.trellis.security.ssrf;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The SSRF policy for outbound targets of the rule engine ({@code rule_engine.ssrf}): which
 * hosts and addresses a connector (HTTP webhook {@code url}, MQTT bridge {@code server}, and any
 * later outbound endpoint) may reach. Immutable; a pure function of the target and of what the
 * injected {@link HostResolver} answers.
 *
 * <p><b>Checks, in EMQX's order and with EMQX's texts</b> ({@code emqx_utils_ssrf.erl}):
 * a host listed in {@code deny_hosts} (case-insensitive, trailing dots ignored) is denied; an IP
 * literal is checked as is; a name is resolved (A and AAAA) and, if any address is in
 * {@code allow_cidrs}, allowed, otherwise denied if any address is in {@code deny_cidrs}.
 * A disabled policy allows every well-formed target without looking anything up.
 *
 * <p><b>Where Trellis differs from EMQX, and why</b>:
 * <ul>
 *   <li>Default {@code deny_cidrs} add {@code ::/128} (dialling the unspecified address reaches
 *       the local host on Linux, as {@code 0.0.0.0} does) and widen {@code 0.0.0.0/32} to
 *       {@code 0.0.0.0/8} ("this network", RFC 1122: never a legitimate destination). The AWS entry is
 *       {@code 169.254.169.253/32} as documented (one EMQX source version spells it
 *       {@code 69.254.169.253/32}, which is harmless there only because 169.254.0.0/16 is listed).</li>
 *   <li>IPv6 forms that carry an IPv4 address are checked as that IPv4 address too: IPv4-mapped
 *       {@code ::ffff:a.b.c.d} is normalised to IPv4 (as EMQX does); IPv4-compatible
 *       {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96} and 6to4 {@code 2002::/16} are denied when
 *       either the IPv6 address or the embedded IPv4 address is denied and not allowed.</li>
 *   <li>Host strings are normalised before the check (userinfo, brackets, zone ids, inet_aton
 *       numeric forms: see {@link Target}); EMQX checks the host text as given.</li>
 *   <li>CIDRs are parsed strictly ({@code 10/8}, {@code 10.0.0/24}, leading zeros, host bits
 *       after the prefix are errors that name the key and the fix).</li>
 *   <li>A name that does not resolve passes with a warning ({@link SsrfDecision.Unresolved}),
 *       as in EMQX, because a transient DNS failure should not block a configuration change.
 *       This is safe only because Trellis also checks at connect time ({@link SsrfGuard}): a name
 *       that does not resolve then is never dialled, and one that resolves then is checked.</li>
 *   <li>At connect time ({@link #checkConnect}) the rule is stricter: every resolved address
 *       must pass on its own (see there).</li>
 * </ul>
 *
 * <p><b>Limits</b>: this class decides; it does not dial. Alone it is a configuration-time
 * check, and DNS can change after it (rebinding). Protection at connect time needs the dial to go
 * through {@link SsrfGuard} or {@link SsrfAddressResolverGroup}, which resolve once, check and
 * dial exactly the checked addresses. It knows nothing of HTTP redirects (each redirect is a new
 * connect and must go through the guard; connectors keep redirects off). Teredo
 * ({@code 2001::/32}), RFC 8215 local NAT64 ({@code 64:ff9b:1::/48}) and other translation
 * prefixes are not unpacked: deny them in {@code deny_cidrs} if your network routes them. It is
 * no substitute for an egress firewall.
 */
public final class SsrfPolicy {

    public static final String KEY_ENABLE = "rule_engine.ssrf.enable";
    public static final String KEY_ALLOW_CIDRS = "rule_engine.ssrf.allow_cidrs";
    public static final String KEY_DENY_CIDRS = "rule_engine.ssrf.deny_cidrs";
    public static final String KEY_DENY_HOSTS = "rule_engine.ssrf.deny_hosts";

    /** EMQX's default (off, for compatibility); Trellis's recommended setting is on. */
    public static final boolean DEFAULT_ENABLE = false;

    public static final List<String> DEFAULT_ALLOW_CIDRS = List.of();

    /** EMQX's defaults, with {@code 0.0.0.0/8} for {@code 0.0.0.0/32} and {@code ::/128} added. */
    public static final List<String> DEFAULT_DENY_CIDRS = List.of(
            "127.0.0.0/8",
            "::1/128",
            "169.254.0.0/16",
            "fe80::/10",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
            "0.0.0.0/8",
            "::/128",
            "224.0.0.0/4",
            "ff00::/8",
            "100.100.100.200/32",   // Alibaba Cloud metadata
            "169.254.169.253/32");  // AWS external metadata service (also inside 169.254.0.0/16)

    public static final List<String> DEFAULT_DENY_HOSTS = List.of(
            "metadata.tencentyun.com",
            "metadata.google.internal",
            "metadata.azure.internal");

    private static final IPAddress NAT64 = new IPAddressString("64:ff9b::/96").getAddress();
    private static final IPAddress SIX_TO_FOUR = new IPAddressString("2002::/16").getAddress();
    private static final IPAddress IPV4_COMPATIBLE = new IPAddressString("::/96").getAddress();

    private final boolean enabled;
    private final List<Cidr> allowCidrs;
    private final List<Cidr> denyCidrs;
    private final Set<String> denyHosts;

    private SsrfPolicy(boolean enabled, List<Cidr> allowCidrs, List<Cidr> denyCidrs, Set<String> denyHosts) {
        this.enabled = enabled;
        this.allowCidrs = List.copyOf(allowCidrs);
        this.denyCidrs = List.copyOf(denyCidrs);
        this.denyHosts = Set.copyOf(denyHosts);
    }

    /** The defaults: disabled, as in EMQX. */
    public static SsrfPolicy defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    public boolean enabled() {
        return enabled;
    }

    public List<String> allowCidrs() {
        return allowCidrs.stream().map(Cidr::text).toList();
    }

    public List<String> denyCidrs() {
        return denyCidrs.stream().map(Cidr::text).toList();
    }

    /** Normalised: lower case, no trailing dots. */
    public Set<String> denyHosts() {
        return denyHosts;
    }

    // ---------------------------------------------------------------- configuration-time checks

    /** Checks an HTTP(S) URL, e.g. a webhook connector's {@code url}. */
    public SsrfDecision checkUrl(String url, HostResolver resolver) {
        Target target;
        try {
            target = Target.ofUrl(url);
        } catch (IllegalArgumentException e) {
            return new SsrfDecision.Invalid("url", "Invalid url: " + e.getMessage());
        }
        return check(target, resolver);
    }

    /** Checks an MQTT bridge {@code server} ({@code host[:port]}, port 1883 by default). */
    public SsrfDecision checkServer(String server, HostResolver resolver) {
        Target target;
        try {
            target = Target.ofServer(server);
        } catch (IllegalArgumentException e) {
            return new SsrfDecision.Invalid("server", "Invalid server: " + e.getMessage());
        }
        return check(target, resolver);
    }

    /** Checks a bare host name or IP literal. */
    public SsrfDecision checkHost(String host, HostResolver resolver) {
        Target target;
        try {
            target = Target.ofHost(host, 0);
        } catch (IllegalArgumentException e) {
            return new SsrfDecision.Invalid("host", "Invalid host: " + e.getMessage());
        }
        return check(target, resolver);
    }

    private SsrfDecision check(Target target, HostResolver resolver) {
        if (!enabled) {
            return new SsrfDecision.Allowed(target.display(), List.of());
        }
        if (denyHosts.contains(target.name())) {
            return deniedHost(target.display());
        }
        if (target.isLiteral()) {
            InetAddress address = target.literal().toInetAddress();
            return aggregate(target.display(), List.of(address));
        }
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(target.name());
        } catch (UnknownHostException e) {
            addresses = List.of();
        }
        if (addresses == null || addresses.isEmpty()) {
            return new SsrfDecision.Unresolved(target.display(), "Host does not resolve now: " + target.display()
                    + ". It is accepted; every connection to it is checked again when it is dialled, "
                    + "and a host that does not resolve then is not dialled.");
        }
        return aggregate(target.display(), addresses);
    }

    /** EMQX's rule over a resolved set: any address allowed wins, else any address denied loses. */
    private SsrfDecision aggregate(String host, List<InetAddress> addresses) {
        SsrfDecision.Denied firstDenied = null;
        for (InetAddress address : addresses) {
            Verdict verdict = verdict(host, address);
            if (verdict.explicitlyAllowed) {
                return new SsrfDecision.Allowed(host, addresses);
            }
            if (firstDenied == null && verdict.denied != null) {
                firstDenied = verdict.denied;
            }
        }
        return firstDenied != null ? firstDenied : new SsrfDecision.Allowed(host, addresses);
    }

    // ---------------------------------------------------------------- connect-time check

    /**
     * The connect-time rule, used by {@link SsrfGuard}: the host's addresses, resolved once, are
     * allowed only if each one passes on its own (in {@code allow_cidrs}, or in no
     * {@code deny_cidrs}). A name that resolves to one public and one private address is denied:
     * a client may fall back to any address of the set, so a single bad one is reachable, and
     * such an answer is the shape of a rebinding attack.
     *
     * @param host the host as the connector names it (for deny_hosts and the message); for a
     *     bare address, its text
     */
    public SsrfDecision checkConnect(String host, List<InetAddress> addresses) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(addresses, "addresses");
        if (!enabled) {
            return new SsrfDecision.Allowed(host, addresses);
        }
        if (denyHosts.contains(normaliseHostName(host))) {
            return deniedHost(host);
        }
        for (InetAddress address : addresses) {
            Verdict verdict = verdict(host, address);
            if (verdict.denied != null) {
                return verdict.denied;
            }
        }
        return new SsrfDecision.Allowed(host, addresses);
    }

    // ---------------------------------------------------------------- per-address verdict

    /** explicitlyAllowed: in allow_cidrs and not denied otherwise; denied: why, or null. */
    private record Verdict(boolean explicitlyAllowed, SsrfDecision.Denied denied) {}

    private Verdict verdict(String host, InetAddress inet) {
        IPAddress address = toIpAddress(inet);
        boolean anyAllowed = false;
        for (Form form : forms(address)) {
            Cidr allow = firstMatch(allowCidrs, form.address);
            if (allow != null) {
                anyAllowed = true;
                continue;
            }
            Cidr deny = firstMatch(denyCidrs, form.address);
            if (deny != null) {
                return new Verdict(false, deniedRange(host, form.describe(), deny));
            }
        }
        return new Verdict(anyAllowed, null);
    }

    /** The address as checked; for IPv6 forms that embed IPv4, the IPv4 address as well. */
    private record Form(IPAddress address, IPAddress carrier) {
        String describe() {
            return carrier == null ? address.toCanonicalString()
                    : carrier.toCanonicalString() + " (embeds " + address.toCanonicalString() + ")";
        }
    }

    private static List<Form> forms(IPAddress address) {
        if (address.isIPv4()) {
            return List.of(new Form(address, null));
        }
        IPv6Address v6 = address.toIPv6().removeZone();
        if (v6.isIPv4Mapped()) {
            // Normalised as EMQX does: the socket goes to the IPv4 address.
            return List.of(new Form(v6.getEmbeddedIPv4Address(), null));
        }
        IPv4Address embedded = null;
        if (IPV4_COMPATIBLE.contains(v6) && !v6.isLoopback() && !v6.isZero()) {
            embedded = v6.getEmbeddedIPv4Address();
        } else if (NAT64.contains(v6)) {
            embedded = v6.getEmbeddedIPv4Address();
        } else if (SIX_TO_FOUR.contains(v6)) {
            embedded = v6.get6To4IPv4Address();
        }
        List<Form> forms = new ArrayList<>(2);
        forms.add(new Form(v6, null));
        if (embedded != null) {
            forms.add(new Form(embedded, v6));
        }
        return forms;
    }

    private static Cidr firstMatch(List<Cidr> cidrs, IPAddress address) {
        for (Cidr cidr : cidrs) {
            if (cidr.contains(address)) {
                return cidr;
            }
        }
        return null;
    }

    static IPAddress toIpAddress(InetAddress inet) {
        byte[] bytes = inet.getAddress();
        return bytes.length == 4 ? new IPv4Address(bytes) : new IPv6Address(bytes);
    }

    private static SsrfDecision.Denied deniedRange(String host, String ip, Cidr cidr) {
        return new SsrfDecision.Denied(host, "Address resolves to a denied range: " + host + " -> " + ip
                + " (matches " + cidr.text() + "). Adjust " + KEY_DENY_CIDRS + ", " + KEY_ALLOW_CIDRS
                + ", or set " + KEY_ENABLE + "=false.", KEY_DENY_CIDRS);
    }

    private static SsrfDecision.Denied deniedHost(String host) {
        return new SsrfDecision.Denied(host, "Host is on the SSRF denylist: " + host + ". Adjust "
                + KEY_DENY_HOSTS + " or set " + KEY_ENABLE + "=false.", KEY_DENY_HOSTS);
    }

    static String normaliseHostName(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    @Override
    public String toString() {
        return "SsrfPolicy{enable=" + enabled + ", allow_cidrs=" + allowCidrs + ", deny_cidrs=" + denyCidrs
                + ", deny_hosts=" + denyHosts + "}";
    }

    /** Builds a policy; {@link #build()} checks every entry and reports all problems at once. */
    public static final class Builder {
        private boolean enable = DEFAULT_ENABLE;
        private List<String> allowCidrs = DEFAULT_ALLOW_CIDRS;
        private List<String> denyCidrs = DEFAULT_DENY_CIDRS;
        private List<String> denyHosts = DEFAULT_DENY_HOSTS;

        private Builder() {}

        public Builder enable(boolean enable) {
            this.enable = enable;
            return this;
        }

        public Builder allowCidrs(List<String> cidrs) {
            this.allowCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder denyCidrs(List<String> cidrs) {
            this.denyCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder denyHosts(List<String> hosts) {
            this.denyHosts = List.copyOf(hosts);
            return this;
        }

        /**
         * @throws IllegalArgumentException listing every bad entry, one per line, each naming
         *     its key, the value and what to write instead
         */
        public SsrfPolicy build() {
            List<String> problems = new ArrayList<>();
            List<Cidr> allow = parseAll(KEY_ALLOW_CIDRS, allowCidrs, problems);
            List<Cidr> deny = parseAll(KEY_DENY_CIDRS, denyCidrs, problems);
            Set<String> hosts = new LinkedHashSet<>();
            for (String host : denyHosts) {
                String normalised = host == null ? "" : normaliseHostName(host.strip());
                if (normalised.isEmpty()) {
                    problems.add(KEY_DENY_HOSTS + ": an empty entry is not a host name (remove it)");
                } else {
                    hosts.add(normalised);
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("\n", problems));
            }
            return new SsrfPolicy(enable, allow, deny, hosts);
        }

        private static List<Cidr> parseAll(String key, List<String> texts, List<String> problems) {
            List<Cidr> cidrs = new ArrayList<>(texts.size());
            for (String text : texts) {
                try {
                    cidrs.add(Cidr.parse(key, text));
                } catch (IllegalArgumentException e) {
                    problems.add(e.getMessage());
                }
            }
            return cidrs;
        }
    }
}

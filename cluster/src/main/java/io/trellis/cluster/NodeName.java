package io.trellis.cluster;

import io.netty.util.NetUtil;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node's name, {@code name@host}, and the cluster ports it implies (EMQX's rule, EMQX-FACTS.md):
 * the port offset N is the integer formed by the trailing digits of {@code name}, modulo 60000,
 * 0 when there are none ({@code trellis} -> 0, {@code trellis-1} -> 1, {@code trellis01} -> 1,
 * {@code trellis1a} -> 0). Distribution listens on 4370 + N; cluster RPC on 5370 + N
 * ({@code rpc.port_discovery = stateless}) or on {@code rpc.server_port} ({@code manual}).
 *
 * <p>The host is an IPv4 literal, an IPv6 literal ({@code name@::1}, brackets accepted and
 * dropped) or a DNS name; it is compared case-insensitively (stored in lower case). Everything
 * else compares exactly, as Erlang compares node atoms. A whole name is at most
 * {@value #MAX_BYTES} bytes.
 */
public final class NodeName implements Comparable<NodeName> {
    /** First port of distribution; EMQX's, not configurable. */
    public static final int DIST_BASE_PORT = 4370;
    /** First port of cluster RPC with {@code rpc.port_discovery = stateless}. */
    public static final int RPC_BASE_PORT = 5370;
    /** The offset is taken modulo this, so 4370 + N and 5370 + N stay below 65536. */
    public static final int OFFSET_MODULUS = 60000;
    /**
     * Longest name in bytes: below Erlang's 255, so that HELLO, which carries two names and a
     * nonce, fits the 512-byte pre-handshake frame.
     */
    public static final int MAX_BYTES = 200;

    private static final Pattern SHORT_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern TRAILING_DIGITS = Pattern.compile("[0-9]+$");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");

    private final String name;
    private final String host;
    private final int offset;

    private NodeName(String name, String host) {
        this.name = name;
        this.host = host;
        Matcher digits = TRAILING_DIGITS.matcher(name);
        // BigInteger: "trellis99999999999999999999" is a legal name and must not overflow.
        this.offset = digits.find() ? new BigInteger(digits.group()).mod(BigInteger.valueOf(OFFSET_MODULUS)).intValue() : 0;
    }

    /**
     * Parses {@code name@host}.
     *
     * @throws IllegalArgumentException naming what is wrong and how to write it instead
     */
    public static NodeName parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(text, "it is empty", "write name@host, e.g. trellis1@10.0.0.1");
        }
        int at = text.indexOf('@');
        if (at < 0 || at != text.lastIndexOf('@')) {
            throw bad(text, at < 0 ? "it has no @" : "it has more than one @", "write name@host, e.g. trellis1@10.0.0.1");
        }
        String name = text.substring(0, at);
        String host = text.substring(at + 1);
        if (!SHORT_NAME.matcher(name).matches()) {
            throw bad(text, "the part before @ must be letters, digits, _ or -", "e.g. trellis1@" + (host.isEmpty() ? "10.0.0.1" : host));
        }
        String canonicalHost = canonicalHost(text, host);
        if ((name + "@" + canonicalHost).getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw bad(text, "it is longer than " + MAX_BYTES + " bytes", "use a shorter name or host");
        }
        return new NodeName(name, canonicalHost);
    }

    private static String canonicalHost(String text, String host) {
        if (host.isEmpty()) {
            throw bad(text, "the host after @ is empty", "write an IP address or a DNS name after @");
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        h = h.toLowerCase(Locale.ROOT);
        if (h.indexOf(':') >= 0) {
            if (!NetUtil.isValidIpV6Address(h) || h.indexOf('%') >= 0) {
                throw bad(text, "'" + host + "' is not a valid IPv6 address", "write an IPv6 literal such as ::1 or fd00::5, without a zone");
            }
            return h;
        }
        if (DOTTED_NUMBERS.matcher(h).matches()) {
            if (!NetUtil.isValidIpV4Address(h)) {
                throw bad(text, "'" + host + "' is not a valid IPv4 address", "write four numbers 0-255, e.g. 10.0.0.1");
            }
            return h;
        }
        if (h.length() > 253) {
            throw bad(text, "the host name is longer than 253 characters", "use a shorter DNS name");
        }
        for (String label : h.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                throw bad(text, "'" + host + "' is not a valid host name", "use an IP address or a DNS name of letters, digits, - and dots (no trailing dot)");
            }
        }
        return h;
    }

    private static IllegalArgumentException bad(String text, String what, String instead) {
        return new IllegalArgumentException("node name '" + text + "' is invalid: " + what + "; " + instead);
    }

    /** The part before @. */
    public String name() {
        return name;
    }

    /** The part after @: a lower-case DNS name or IP literal (IPv6 without brackets). */
    public String host() {
        return host;
    }

    /** Whether the host is an IPv6 literal (needs brackets in host:port). */
    public boolean hostIsIpv6() {
        return host.indexOf(':') >= 0;
    }

    /**
     * Where to dial {@code host} (a node name's host) at {@code port}: an IP literal as is, a DNS
     * name unresolved, so that the dialling bootstrap's resolver looks it up when it connects, on
     * the DNS servers the cluster uses ({@code cluster.dns.servers} with DNS discovery), never in
     * a blocking call here.
     */
    public static InetSocketAddress socketAddress(String host, int port) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return NetUtil.isValidIpV4Address(h) || NetUtil.isValidIpV6Address(h) ? new InetSocketAddress(h, port)
                : InetSocketAddress.createUnresolved(h, port);
    }

    /** N: the trailing digits of name, modulo 60000; 0 without trailing digits. */
    public int offset() {
        return offset;
    }

    /** The distribution port, 4370 + N. */
    public int distPort() {
        return DIST_BASE_PORT + offset;
    }

    /**
     * The cluster RPC port: 5370 + N with {@link RpcPortDiscovery#STATELESS}, {@code serverPort}
     * (every node the same) with {@link RpcPortDiscovery#MANUAL}.
     */
    public int rpcPort(RpcPortDiscovery discovery, int serverPort) {
        return discovery == RpcPortDiscovery.STATELESS ? RPC_BASE_PORT + offset : serverPort;
    }

    @Override
    public int compareTo(NodeName other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeName n && n.name.equals(name) && n.host.equals(host);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + host.hashCode();
    }

    /** {@code name@host}, host as stored (IPv6 without brackets, as Erlang writes it). */
    @Override
    public String toString() {
        return name + "@" + host;
    }
}

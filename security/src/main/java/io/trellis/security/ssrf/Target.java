package io.trellis.security.ssrf;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An outbound target reduced to what the policy checks: a host that is either an IP literal
 * or a lower-case name without trailing dots, and a port.
 *
 * <p>Normalisation closes the usual ways of hiding an address in a host string: userinfo is
 * dropped ({@code http://public@127.0.0.1/} is 127.0.0.1), IPv6 brackets and zone ids are
 * stripped, and IPv4 is read the way {@code inet_aton} (and so most resolvers and HTTP clients)
 * reads it: {@code 2130706433}, {@code 0x7f.0.0.1}, {@code 0177.0.0.1}, {@code 127.1} are all
 * 127.0.0.1. Non-ASCII names are mapped to their ASCII (IDNA) form first, so look-alike digits
 * and letters are checked as what they stand for. A host whose last label is numeric but that is not a valid address
 * ({@code 256.0.0.1}, {@code 08.0.0.1}) is refused rather than looked up as a name.
 *
 * @param display the host as the operator wrote it, for messages
 * @param name the normalised host text (lower case, no brackets, zone or trailing dots)
 * @param literal the address when the host is an IP literal, else null
 */
record Target(String display, String name, IPAddress literal, int port) {

    static final int MQTT_DEFAULT_PORT = 1883;

    /** inet_aton's reading of IPv4 (hex, octal, 1 to 4 parts), plus IPv6 with a zone. */
    private static final IPAddressStringParameters LITERAL = new IPAddressStringParameters.Builder()
            .allowEmpty(false)
            .allowAll(false)
            .allowMask(false)
            .allowPrefix(false)
            .allowWildcardedSeparator(false)
            .setRangeOptions(RangeParameters.NO_RANGE)
            .getIPv4AddressParametersBuilder()
                .allow_inet_aton(true)
                .allow_inet_aton_hex(true)
                .allow_inet_aton_octal(true)
                .allow_inet_aton_joined_segments(true)
                .allowLeadingZeros(true)
                .allowWildcardedSeparator(false)
                .setRangeOptions(RangeParameters.NO_RANGE)
                .getParentBuilder()
            .getIPv6AddressParametersBuilder()
                .allowZone(false)
                .allowWildcardedSeparator(false)
                .setRangeOptions(RangeParameters.NO_RANGE)
                .getParentBuilder()
            .toParams();

    /** Letters, digits, hyphens and underscores (seen in real internal names), dot-separated. */
    private static final Pattern HOST_NAME =
            Pattern.compile("[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*");

    /** The last label looks like a number (decimal or 0x hex): WHATWG URL treats such hosts as IPv4. */
    private static final Pattern NUMERIC_LAST_LABEL = Pattern.compile("(?:.*\\.)?(?:[0-9]+|0x[0-9a-f]*)");

    boolean isLiteral() {
        return literal != null;
    }

    /** A bare host (no port); userinfo, brackets and zone ids are tolerated and stripped. */
    static Target ofHost(String host, int port) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("the host is empty");
        }
        // Userinfo is dropped, and never shown: it may hold a password.
        String shown = host.substring(host.lastIndexOf('@') + 1);
        String h = shown;
        if (h.startsWith("[")) {
            if (!h.endsWith("]")) {
                throw new IllegalArgumentException("'" + shown + "' opens an IPv6 bracket and does not close it");
            }
            h = h.substring(1, h.length() - 1);
        }
        int zone = h.indexOf('%');
        if (zone >= 0) {
            if (!h.contains(":")) {
                throw new IllegalArgumentException("'" + shown + "' contains '%': percent-encoded host names are not accepted");
            }
            h = h.substring(0, zone);
        }
        if (!h.chars().allMatch(c -> c < 0x80)) {
            // IDNA mapping, as resolvers and browsers apply it: bücher.de is xn--bcher-kva.de, and
            // full-width or circled look-alikes (１２７.０.０.１, ⓛⓞⓒⓐⓛⓗⓞⓢⓣ) become what they mimic.
            try {
                h = IDN.toASCII(h, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + shown + "' is not a valid internationalised host name");
            }
        }
        h = h.toLowerCase(Locale.ROOT);
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("'" + shown + "' has no host name or address");
        }
        IPAddress literal = parseLiteral(h);
        if (literal != null) {
            return new Target(shown, h, literal, port);
        }
        if (h.contains(":")) {
            throw new IllegalArgumentException("'" + shown + "' is not a valid IPv6 address");
        }
        if (NUMERIC_LAST_LABEL.matcher(h).matches()) {
            throw new IllegalArgumentException(
                    "'" + shown + "' looks like a numeric IPv4 address but is not a valid one (write a.b.c.d with each part 0-255)");
        }
        if (h.length() > 253 || !HOST_NAME.matcher(h).matches()) {
            throw new IllegalArgumentException("'" + shown + "' is not a valid host name (letters, digits, '-', '_' and dots)");
        }
        return new Target(shown, h, null, port);
    }

    private static IPAddress parseLiteral(String h) {
        try {
            IPAddress address = new IPAddressString(h, LITERAL).toAddress();
            return address.getNetworkPrefixLength() == null ? address : null;
        } catch (AddressStringException e) {
            return null;
        }
    }

    /** An http or https URL; its port, or the scheme's default. */
    static Target ofUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the URL is empty");
        }
        String shown = "'" + redactUserinfo(url) + "'";
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(shown + " is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException(shown + " must start with http:// or https://"
                    + (scheme == null ? "" : " (scheme '" + scheme + "' is not supported)"));
        }
        if (uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
            throw new IllegalArgumentException(shown + " has no host (write e.g. https://example.com/path)");
        }
        return ofAuthority(uri.getRawAuthority(), "https".equals(scheme) ? 443 : 80, shown);
    }

    /**
     * EMQX's {@code server} form for an MQTT bridge: {@code host}, {@code host:port},
     * {@code [v6]} or {@code [v6]:port}; the port defaults to 1883.
     */
    static Target ofServer(String server) {
        if (server == null || server.isBlank()) {
            throw new IllegalArgumentException("the server is empty (write host:port, e.g. broker.example.com:1883)");
        }
        String shown = "'" + redactUserinfo(server) + "'";
        if (server.contains("://")) {
            throw new IllegalArgumentException(shown + " must be host:port without a scheme (e.g. broker.example.com:1883)");
        }
        for (char c : new char[] {'@', '/', '?', '#', ' ', ','}) {
            if (server.indexOf(c) >= 0) {
                throw new IllegalArgumentException(shown + " must be host:port, without '" + c + "'"
                        + (c == '@' ? " (credentials go in the bridge's username and password)" : ""));
            }
        }
        return ofAuthority(server, MQTT_DEFAULT_PORT, shown);
    }

    /** Userinfo may hold a password: it never reaches a message. */
    static String redactUserinfo(String text) {
        int start = text.indexOf("://");
        start = start < 0 ? 0 : start + 3;
        int end = text.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = text.indexOf(c, start);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        int at = text.lastIndexOf('@', end - 1);
        return at < start ? text : text.substring(0, start) + "***" + text.substring(at);
    }

    /** {@code [userinfo@]host[:port]} as written in a URL authority. */
    private static Target ofAuthority(String authority, int defaultPort, String what) {
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        String host;
        String portText = null;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(what + " opens an IPv6 bracket and does not close it");
            }
            host = hostPort.substring(0, close + 1);
            String rest = hostPort.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException(what + " has text after the IPv6 address: '" + rest + "'");
                }
                portText = rest.substring(1);
            }
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0 && hostPort.indexOf(':') != colon) {
                throw new IllegalArgumentException(what + ": write an IPv6 address in brackets, e.g. [2001:db8::1]:1883");
            }
            host = colon >= 0 ? hostPort.substring(0, colon) : hostPort;
            portText = colon >= 0 ? hostPort.substring(colon + 1) : null;
        }
        int port = defaultPort;
        if (portText != null) {
            if (!portText.matches("[0-9]{1,5}") || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
                throw new IllegalArgumentException(what + " has port '" + portText + "' (write a number from 1 to 65535)");
            }
            port = Integer.parseInt(portText);
        }
        try {
            return ofHost(host, port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}

package io.trellis.security.ssrf;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One CIDR block of the policy, kept with the text the operator wrote so that a denial quotes
 * it back. Parsing is strict: four dotted decimal octets (no {@code 10/8}, no {@code 10.0.0/24},
 * no leading zeros that some parsers read as octal) or a full IPv6 address, a prefix length, and
 * no bits set after the prefix.
 */
record Cidr(String text, IPAddress block) {

    private static final IPAddressStringParameters STRICT = new IPAddressStringParameters.Builder()
            .allowEmpty(false)
            .allowAll(false)
            .allowSingleSegment(false)
            .allowMask(false)
            .allowPrefixOnly(false)
            .allowWildcardedSeparator(false)
            .setRangeOptions(RangeParameters.NO_RANGE)
            .getIPv4AddressParametersBuilder()
                .allow_inet_aton(false)
                .allowLeadingZeros(false)
                .allowWildcardedSeparator(false)
                .setRangeOptions(RangeParameters.NO_RANGE)
                .getParentBuilder()
            .getIPv6AddressParametersBuilder()
                .allowZone(false)
                .allowWildcardedSeparator(false)
                .setRangeOptions(RangeParameters.NO_RANGE)
                .getParentBuilder()
            .toParams();

    private static final Pattern PREFIX_LENGTH = Pattern.compile("/(?:0|[1-9][0-9]{0,2})$");

    private static final Pattern SHORT_IPV4 = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){0,2})/(\\d{1,2})");

    /**
     * @param key the configuration key the value came from, named in the error
     * @throws IllegalArgumentException naming the key, the value and the fix
     */
    static Cidr parse(String key, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(key + ": an empty entry is not a CIDR (write e.g. 10.0.0.0/8 or fc00::/7)");
        }
        if (!text.contains("/")) {
            String hint = text.contains(":") ? text + "/128" : text + "/32";
            throw new IllegalArgumentException(
                    key + ": '" + text + "' has no prefix length (write " + hint + " for one address)");
        }
        // Prefix lengths by hand: the library counts "/0" as a leading zero.
        if (!PREFIX_LENGTH.matcher(text).find()) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not a CIDR (" + suggestion(text) + ")");
        }
        IPAddress address;
        try {
            address = new IPAddressString(text, STRICT).toAddress();
        } catch (AddressStringException e) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not a CIDR (" + suggestion(text) + ")");
        }
        IPAddress block = address.toPrefixBlock();
        if (!address.isPrefixBlock()) {
            throw new IllegalArgumentException(key + ": '" + text + "' has address bits set after the prefix length (write "
                    + block.toCanonicalString() + ")");
        }
        return new Cidr(text, block);
    }

    private static String suggestion(String text) {
        Matcher m = SHORT_IPV4.matcher(text);
        if (m.matches()) {
            StringBuilder full = new StringBuilder(m.group(1));
            for (int dots = m.group(1).split("\\.").length; dots < 4; dots++) {
                full.append(".0");
            }
            return "write " + full + "/" + m.group(2);
        }
        return "write four decimal octets or an IPv6 address and a prefix length, e.g. 10.0.0.0/8 or fc00::/7";
    }

    boolean contains(IPAddress address) {
        return block.getIPVersion() == address.getIPVersion() && block.contains(address);
    }

    @Override
    public String toString() {
        return text;
    }
}

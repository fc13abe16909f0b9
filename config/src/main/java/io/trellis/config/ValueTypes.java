package io.trellis.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The value types a key may have. Each parses, checks its own range and prints back. */
final class ValueTypes {
    private ValueTypes() {
    }

    static ValueType<String> string(Pattern pattern, String shape) {
        return new ValueType<>() {
            public String name() {
                return "string";
            }

            public String hint() {
                return "write " + shape;
            }

            public boolean textual() {
                return true;
            }

            public String allowed() {
                return shape;
            }

            public String parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this);
                if (pattern != null && !pattern.matcher(s).matches()) {
                    throw new BadValue("'" + s + "' is not " + shape, hint());
                }
                return s;
            }
        };
    }

    static ValueType<Integer> integer(int min, int max) {
        return new ValueType<>() {
            public String name() {
                return max >= Integer.MAX_VALUE - 1 ? "integer >= " + min : "integer " + min + ".." + max;
            }

            public String hint() {
                return max >= Integer.MAX_VALUE - 1 ? "write a whole number of at least " + min
                        : "write a whole number from " + min + " to " + max;
            }

            public Integer parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this).trim();
                long n;
                try {
                    n = Long.parseLong(s);
                } catch (NumberFormatException e) {
                    throw new BadValue("'" + s + "' is not a whole number", hint());
                }
                if (n < min || n > max) {
                    throw new BadValue(s + " is out of range", hint());
                }
                return (int) n;
            }
        };
    }

    static ValueType<Long> bytes(long min, long max) {
        return new ValueType<>() {
            private final boolean open = max >= Long.MAX_VALUE - 1;

            public String name() {
                return "byte size " + (open ? ">= " + Units.formatBytes(min) : Units.formatBytes(min) + ".." + Units.formatBytes(max));
            }

            public String hint() {
                return (open ? "write a size of at least " + Units.formatBytes(min)
                        : "write a size from " + Units.formatBytes(min) + " to " + Units.formatBytes(max))
                        + ", e.g. 1MB, 64KB, 512B or a number of bytes";
            }

            public Long parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this);
                long n;
                try {
                    n = Units.parseBytes(s);
                } catch (IllegalArgumentException e) {
                    throw new BadValue(e.getMessage(), hint());
                }
                if (n < min || n > max) {
                    throw new BadValue("'" + s + "' is out of range", hint());
                }
                return n;
            }

            public String format(Long value) {
                return Units.formatBytes(value);
            }
        };
    }

    static ValueType<Double> decimal(double min, double max) {
        return new ValueType<>() {
            public String name() {
                return "number " + min + ".." + max;
            }

            public String hint() {
                return "write a number from " + min + " to " + max;
            }

            public Double parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this).trim();
                double d;
                try {
                    d = Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new BadValue("'" + s + "' is not a number", hint());
                }
                if (!(d >= min && d <= max)) {
                    throw new BadValue(s + " is out of range", hint());
                }
                return d;
            }
        };
    }

    static ValueType<Boolean> bool() {
        return new ValueType<>() {
            public String name() {
                return "boolean";
            }

            public String hint() {
                return "write true or false";
            }

            public Boolean parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this).trim().toLowerCase(Locale.ROOT);
                return switch (s) {
                    case "true" -> true;
                    case "false" -> false;
                    default -> throw new BadValue("'" + s + "' is not a boolean", hint());
                };
            }
        };
    }

    static ValueType<String> oneOf(List<String> values) {
        return new ValueType<>() {
            public String name() {
                return "enum";
            }

            public String hint() {
                return "write one of " + String.join(", ", values);
            }

            public String allowed() {
                return String.join(" | ", values);
            }

            public String parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this).trim();
                if (!values.contains(s)) {
                    throw new BadValue("'" + s + "' is not allowed", hint());
                }
                return s;
            }
        };
    }

    static ValueType<Duration> duration(boolean bareIsSeconds) {
        return new ValueType<>() {
            public String name() {
                return bareIsSeconds ? "duration (a bare number is seconds)" : "duration";
            }

            public String hint() {
                return "write a number with a unit: 15s, 100ms, 1h30m, 2d";
            }

            public Duration parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this);
                try {
                    return Units.parseDuration(s, bareIsSeconds);
                } catch (IllegalArgumentException e) {
                    String digits = s.trim();
                    String instead = e.getMessage().endsWith("has no unit")
                            ? "write " + digits + "s for seconds or " + digits + "ms for milliseconds"
                            : hint();
                    throw new BadValue(e.getMessage(), instead);
                }
            }

            public String format(Duration value) {
                return Units.formatDuration(value);
            }
        };
    }

    /** A list of strings; a single string is split on commas (handy in environment variables). */
    static ValueType<List<String>> stringList(List<String> allowed) {
        return new ValueType<>() {
            public String name() {
                return "list of strings";
            }

            public String hint() {
                return allowed == null ? "write a list, e.g. [\"a\", \"b\"]"
                        : "write a list of " + String.join(", ", allowed);
            }

            public String allowed() {
                return allowed == null ? null : String.join(" | ", allowed);
            }

            public List<String> parse(ConfigValue v) throws BadValue {
                List<String> items = new ArrayList<>();
                if (v.valueType() == ConfigValueType.LIST) {
                    for (ConfigValue item : (ConfigList) v) {
                        items.add(ValueType.scalarText(item, this));
                    }
                } else {
                    String s = ValueType.scalarText(v, this).trim();
                    if (!s.isEmpty()) {
                        for (String part : s.split(",")) {
                            items.add(part.trim());
                        }
                    }
                }
                if (allowed != null) {
                    for (String item : items) {
                        if (!allowed.contains(item)) {
                            throw new BadValue("'" + item + "' is not allowed", hint());
                        }
                    }
                }
                return List.copyOf(items);
            }

            public String format(List<String> value) {
                StringBuilder out = new StringBuilder("[");
                for (String item : value) {
                    out.append(out.length() > 1 ? ", " : "").append('"').append(item).append('"');
                }
                return out.append(']').toString();
            }
        };
    }

    /**
     * A secret: the text itself, or {@code file:///path}, read once here with one trailing newline
     * removed. Messages never contain the value.
     */
    static ValueType<Secret> secret() {
        return new ValueType<>() {
            public String name() {
                return "secret string";
            }

            public String hint() {
                return "write the secret in quotes, or file:///path to a file holding it";
            }

            public boolean textual() {
                return true;
            }

            public boolean secret() {
                return true;
            }

            public Secret parse(ConfigValue v) throws BadValue {
                ConfigValueType t = v.valueType();
                if (t != ConfigValueType.STRING && t != ConfigValueType.NUMBER && t != ConfigValueType.BOOLEAN) {
                    throw new BadValue("expected a secret string", hint());
                }
                String s = v.atKey("v").getString("v");
                if (!s.startsWith("file://")) {
                    return new Secret(s);
                }
                String location = s.substring("file://".length());
                try {
                    String content = Files.readString(Path.of(location), StandardCharsets.UTF_8);
                    if (content.endsWith("\r\n")) {
                        content = content.substring(0, content.length() - 2);
                    } else if (content.endsWith("\n")) {
                        content = content.substring(0, content.length() - 1);
                    }
                    return new Secret(content);
                } catch (NoSuchFileException e) {
                    throw new BadValue("file " + location + " does not exist",
                            "create it with the secret on one line, or fix the path after file://");
                } catch (IOException | InvalidPathException e) {
                    throw new BadValue("cannot read file " + location + " (" + e.getClass().getSimpleName() + ")",
                            "make it readable by the node, or fix the path after file://");
                }
            }

            public String format(Secret value) {
                return "******";
            }
        };
    }

    /**
     * A listen address: "ip:port", "[ipv6]:port" or a bare port (all IPv4 interfaces). IP literals
     * only, so loading never waits on DNS. Port 0 asks the OS for a free port.
     */
    static ValueType<InetSocketAddress> bind() {
        Pattern ipv4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
        Pattern ipv6 = Pattern.compile("[0-9A-Fa-f:.]+");
        return new ValueType<>() {
            public String name() {
                return "bind address";
            }

            public String hint() {
                return "write ip:port, e.g. \"0.0.0.0:1883\", \"[::]:1883\" or a port alone";
            }

            public boolean textual() {
                return true;
            }

            public InetSocketAddress parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this).trim();
                String host;
                String port;
                if (s.matches("\\d+")) {
                    host = "0.0.0.0";
                    port = s;
                } else if (s.startsWith("[")) {
                    int close = s.indexOf("]:");
                    if (close < 0) {
                        throw new BadValue("'" + s + "' is not [ipv6]:port", hint());
                    }
                    host = s.substring(1, close);
                    port = s.substring(close + 2);
                    if (!ipv6.matcher(host).matches() || !host.contains(":")) {
                        throw new BadValue("'" + host + "' is not an IPv6 address", hint());
                    }
                } else {
                    int colon = s.lastIndexOf(':');
                    if (colon < 0) {
                        throw new BadValue("'" + s + "' has no port", hint());
                    }
                    host = s.substring(0, colon);
                    port = s.substring(colon + 1);
                    if (!ipv4.matcher(host).matches()) {
                        throw new BadValue("'" + host + "' is not an IP address (host names are not allowed"
                                + (host.contains(":") ? "; put IPv6 addresses in brackets" : "") + ")", hint());
                    }
                }
                int p;
                try {
                    p = Integer.parseInt(port);
                } catch (NumberFormatException e) {
                    throw new BadValue("'" + port + "' is not a port", hint());
                }
                if (p < 0 || p > 65535) {
                    throw new BadValue("port " + p + " is out of range", "write a port from 0 to 65535");
                }
                try {
                    // A literal: getByName parses it without a DNS query.
                    return new InetSocketAddress(InetAddress.getByName(host), p);
                } catch (UnknownHostException e) {
                    throw new BadValue("'" + host + "' is not an IP address", hint());
                }
            }

            public String format(InetSocketAddress value) {
                InetAddress a = value.getAddress();
                String host = a instanceof Inet6Address
                        ? "[" + (a.isAnyLocalAddress() ? "::" : a.getHostAddress()) + "]"
                        : a.getHostAddress();
                return host + ":" + value.getPort();
            }
        };
    }

    /** A file system path; relative paths are relative to the working directory (the install dir). */
    static ValueType<Path> path() {
        return new ValueType<>() {
            public String name() {
                return "path";
            }

            public String hint() {
                return "write a file path, e.g. \"etc/certs/cert.pem\"";
            }

            public boolean textual() {
                return true;
            }

            public Path parse(ConfigValue v) throws BadValue {
                String s = ValueType.scalarText(v, this);
                if (s.isBlank()) {
                    throw new BadValue("the path is empty", hint());
                }
                try {
                    return Path.of(s);
                } catch (InvalidPathException e) {
                    throw new BadValue("'" + s + "' is not a valid path", hint());
                }
            }
        };
    }
}

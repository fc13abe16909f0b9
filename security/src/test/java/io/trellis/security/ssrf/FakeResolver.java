package io.trellis.security.ssrf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A DNS the test controls: name -> answers, optionally a different answer per look-up. */
final class FakeResolver implements HostResolver {

    private final Map<String, List<List<InetAddress>>> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();

    /** Every look-up of {@code name} answers {@code addresses}. */
    FakeResolver answer(String name, String... addresses) {
        answers.put(name, List.of(parse(addresses)));
        return this;
    }

    /** The n-th look-up answers the n-th list; later look-ups repeat the last. */
    FakeResolver answerInTurn(String name, List<String> first, List<String> then) {
        answers.put(name, List.of(parse(first.toArray(String[]::new)), parse(then.toArray(String[]::new))));
        return this;
    }

    int lookups(String name) {
        AtomicInteger n = lookups.get(name);
        return n == null ? 0 : n.get();
    }

    @Override
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        int n = lookups.computeIfAbsent(name, k -> new AtomicInteger()).getAndIncrement();
        List<List<InetAddress>> turns = answers.get(name);
        if (turns == null) {
            throw new UnknownHostException(name);
        }
        return turns.get(Math.min(n, turns.size() - 1));
    }

    /**
     * Literal text to addresses without DNS. IPv4-mapped IPv6 stays IPv6 (the JDK would turn it
     * into IPv4 by itself, hiding the case the policy must normalise).
     */
    static List<InetAddress> parse(String... addresses) {
        List<InetAddress> out = new ArrayList<>();
        for (String a : addresses) {
            try {
                byte[] bytes = SsrfPolicy.toIpAddress(InetAddress.getByName(a)).getBytes();
                if (a.toLowerCase().startsWith("::ffff:")) {
                    byte[] mapped = new byte[16];
                    mapped[10] = (byte) 0xff;
                    mapped[11] = (byte) 0xff;
                    System.arraycopy(bytes, 0, mapped, 12, 4);
                    out.add(Inet6Address.getByAddress(null, mapped, -1));
                } else {
                    out.add(InetAddress.getByAddress(bytes));
                }
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(a, e);
            }
        }
        return out;
    }
}

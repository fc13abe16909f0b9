package io.trellis.security.ssrf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Looks a host name up (A and AAAA). Injectable so that tests, and later a non-blocking DNS
 * client, decide what a name resolves to. The policy calls it only for names, never for IP
 * literals, and at most once per check.
 */
@FunctionalInterface
public interface HostResolver {

    /**
     * @return every address the name resolves to, in the order they would be dialled; an empty
     *     list or an {@link UnknownHostException} both mean "does not resolve"
     */
    List<InetAddress> resolve(String name) throws UnknownHostException;

    /** The JDK's resolver (system DNS and hosts file, blocking, with the JDK's address cache). */
    static HostResolver system() {
        return name -> List.of(InetAddress.getAllByName(name));
    }
}

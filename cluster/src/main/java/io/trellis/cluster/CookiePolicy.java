package io.trellis.cluster;

import io.trellis.config.Secret;
import java.util.List;
import java.util.Locale;

/**
 * Whether this node's {@code node.cookie} may be used to cluster. Secure by default, unlike
 * EMQX (which ships {@code emqxsecretcookie} and only warns): without a cookie, or with a
 * well-known sample value, the node runs alone and refuses to cluster, saying why.
 *
 * <p>Scope and limits: this catches a missing cookie and the published sample values (compared
 * ignoring case), nothing more; it does not measure a cookie's strength. The config schema
 * already checks its shape (non-empty, at most 255 bytes, no quote, backslash or space). The
 * reason never contains the cookie.
 */
public final class CookiePolicy {
    /** Cookies printed in EMQX's and Trellis's documentation and defaults: anyone knows them. */
    public static final List<String> WELL_KNOWN_COOKIES = List.of(
            "emqxsecretcookie",
            "trellissecretcookie",
            "change-me-to-a-long-random-string");

    private static final String FIX = "set node.cookie (or TRELLIS_NODE__COOKIE, or cookie = \"file:///path\")"
            + " to the same long random string on every node, e.g. the output of: openssl rand -base64 32";

    private CookiePolicy() {
    }

    /**
     * The decision for {@code cookie}, which may be null (not configured).
     */
    public static Decision evaluate(Secret cookie) {
        if (cookie == null || cookie.isEmpty()) {
            return new Decision(false, "clustering is refused: node.cookie is not set; " + FIX);
        }
        String lower = cookie.reveal().toLowerCase(Locale.ROOT);
        if (WELL_KNOWN_COOKIES.contains(lower)) {
            return new Decision(false, "clustering is refused: node.cookie is a well-known sample value that anyone"
                    + " can use to join this cluster; " + FIX);
        }
        return new Decision(true, "node.cookie is set");
    }

    /**
     * @param allowed whether the node may cluster
     * @param reason  operator words; when refused, what to change. Never the cookie.
     */
    public record Decision(boolean allowed, String reason) {
        /** Throws {@link IllegalStateException} with the reason when clustering is refused. */
        public void requireAllowed() {
            if (!allowed) {
                throw new IllegalStateException(reason);
            }
        }
    }
}

package io.trellis.cluster.handshake;

import io.trellis.config.Secret;
import java.nio.charset.StandardCharsets;

/**
 * The cookie as HMAC key bytes, derived once. Like {@link Secret}, it never prints its value.
 */
public final class CookieKey {
    private final byte[] bytes;

    private CookieKey(byte[] bytes) {
        this.bytes = bytes;
    }

    /** From the configured cookie; callers check {@code CookiePolicy} first. */
    public static CookieKey of(Secret cookie) {
        if (cookie == null || cookie.isEmpty()) {
            throw new IllegalArgumentException("node.cookie is not set; set it to the same long random string on every node");
        }
        return new CookieKey(cookie.reveal().getBytes(StandardCharsets.UTF_8));
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return "CookieKey(******)";
    }
}

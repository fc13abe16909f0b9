package io.trellis.cluster.handshake;

import io.trellis.cluster.NodeName;
import io.trellis.cluster.transport.TransportSecurity;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;

/**
 * What a node needs to run handshakes: its name, the cookie key, the authentication timeout
 * ({@code rpc.authentication_timeout}, used by both channels), the refusal log and a random
 * source for nonces. Shared by every connection of a node; immutable.
 */
public final class HandshakeSettings {
    /** Protocol versions this build speaks. */
    public static final int MIN_VERSION = 1;
    public static final int MAX_VERSION = 1;

    private final NodeName self;
    private final CookieKey key;
    private final Duration timeout;
    private final RefusalLog refusals;
    private final SecureRandom random;
    private final int minVersion;
    private final int maxVersion;
    private final TransportSecurity transport;

    public HandshakeSettings(NodeName self, CookieKey key, Duration timeout, RefusalLog refusals) {
        this(self, key, timeout, refusals, MIN_VERSION, MAX_VERSION);
    }

    /** With another version range: for tests of version negotiation. */
    public HandshakeSettings(NodeName self, CookieKey key, Duration timeout, RefusalLog refusals, int minVersion, int maxVersion) {
        this.self = Objects.requireNonNull(self, "self");
        this.key = Objects.requireNonNull(key, "key");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("rpc.authentication_timeout must be positive, e.g. 5s");
        }
        if (minVersion < 1 || maxVersion < minVersion || maxVersion > 0xFFFF) {
            throw new IllegalArgumentException("bad protocol version range " + minVersion + ".." + maxVersion);
        }
        this.minVersion = minVersion;
        this.maxVersion = maxVersion;
        this.random = new SecureRandom();
        this.transport = TransportSecurity.PLAIN;
    }

    private HandshakeSettings(HandshakeSettings base, TransportSecurity transport) {
        this.self = base.self;
        this.key = base.key;
        this.timeout = base.timeout;
        this.refusals = base.refusals;
        this.random = base.random;
        this.minVersion = base.minVersion;
        this.maxVersion = base.maxVersion;
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** The same settings with TLS on the channels {@code transport} says (the cookie handshake then runs inside TLS). */
    public HandshakeSettings withTransportSecurity(TransportSecurity transport) {
        return new HandshakeSettings(this, transport);
    }

    /** TLS or plain TCP per channel; plain unless {@link #withTransportSecurity} said otherwise. */
    public TransportSecurity transportSecurity() {
        return transport;
    }

    public NodeName self() {
        return self;
    }

    CookieKey key() {
        return key;
    }

    public Duration timeout() {
        return timeout;
    }

    public RefusalLog refusals() {
        return refusals;
    }

    int minVersion() {
        return minVersion;
    }

    int maxVersion() {
        return maxVersion;
    }

    byte[] newNonce() {
        byte[] nonce = new byte[HandshakeMessage.NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    @Override
    public String toString() {
        return "HandshakeSettings(" + self + ", timeout " + timeout + ")";
    }
}

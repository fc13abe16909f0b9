package io.trellis.cluster.handshake;

import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What each side of the handshake proves: HMAC-SHA-256, keyed by the cookie, over a transcript
 * naming the protocol, the agreed version and the dialler's offered range (so a downgrade is
 * detected), the channel, both nodes, both nonces and the prover's role. Every field is
 * length-prefixed (4 bytes, big-endian), so no two different transcripts encode alike.
 * Pure functions.
 *
 * <p>Scope: this authenticates a peer when a connection opens. It does not protect the bytes that
 * follow from an on-path attacker, who could relay a handshake; that is TLS's job (next issue).
 */
public final class Transcript {
    /** Length of an HMAC-SHA-256 proof. */
    public static final int PROOF_LENGTH = 32;
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] LABEL = "trellis cluster handshake".getBytes(StandardCharsets.US_ASCII);

    private final int version;
    private final int offeredMin;
    private final int offeredMax;
    private final ClusterChannel channel;
    private final NodeName dialler;
    private final NodeName acceptor;
    private final byte[] diallerNonce;
    private final byte[] acceptorNonce;

    public Transcript(int version, int offeredMin, int offeredMax, ClusterChannel channel, NodeName dialler, NodeName acceptor,
                      byte[] diallerNonce, byte[] acceptorNonce) {
        this.version = version;
        this.offeredMin = offeredMin;
        this.offeredMax = offeredMax;
        this.channel = channel;
        this.dialler = dialler;
        this.acceptor = acceptor;
        this.diallerNonce = diallerNonce.clone();
        this.acceptorNonce = acceptorNonce.clone();
    }

    /** The bytes the MAC covers for {@code role}'s proof. */
    byte[] encode(Role role) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        field(out, LABEL);
        field(out, ByteBuffer.allocate(6).putShort((short) version).putShort((short) offeredMin).putShort((short) offeredMax).array());
        field(out, new byte[] {(byte) channel.wireCode()});
        field(out, dialler.toString().getBytes(StandardCharsets.UTF_8));
        field(out, acceptor.toString().getBytes(StandardCharsets.UTF_8));
        field(out, diallerNonce);
        field(out, acceptorNonce);
        field(out, role.label().getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, byte[] bytes) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }

    /** {@code role}'s proof under {@code key}. */
    public byte[] proof(CookieKey key, Role role) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key.bytes(), ALGORITHM));
            return mac.doFinal(encode(role));
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is required of every JDK; reaching this is a broken runtime.
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Whether {@code received} is {@code role}'s proof under {@code key}; constant time. */
    public boolean verify(CookieKey key, Role role, byte[] received) {
        byte[] expected = proof(key, role);
        boolean ok = MessageDigest.isEqual(expected, received);
        Arrays.fill(expected, (byte) 0);
        return ok;
    }
}

package io.trellis.cluster.handshake;

import io.netty.channel.ChannelHandlerContext;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;
import java.util.Arrays;

/**
 * The connecting side: says HELLO naming the node it expects, proves first once it has the
 * acceptor's nonce, and accepts the connection only when the acceptor's proof verifies.
 *
 * <p>Limit: the dialler's proof goes to whoever listens at the address dialled, so a weak
 * cookie could be guessed offline from it; hence {@code CookiePolicy} and long random cookies.
 */
public final class DiallerHandshakeHandler extends HandshakeHandler {
    private enum State { AWAIT_CHALLENGE, AWAIT_PROOF }

    private final NodeName expected;
    private State state = State.AWAIT_CHALLENGE;
    private byte[] nonce;
    private Transcript transcript;
    private int version;

    public DiallerHandshakeHandler(HandshakeSettings settings, ClusterChannel channel, NodeName expected) {
        super(settings, channel, Role.DIALLER);
        this.expected = expected;
        this.peerName = expected.toString();
    }

    @Override
    void onStart(ChannelHandlerContext ctx) {
        nonce = settings.newNonce();
        send(ctx, new HandshakeMessage.Hello(settings.minVersion(), settings.maxVersion(), channel,
                settings.self().toString(), expected.toString(), nonce));
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, HandshakeMessage m) {
        if (state == State.AWAIT_CHALLENGE && m instanceof HandshakeMessage.Challenge challenge) {
            version = challenge.version();
            if (version < settings.minVersion() || version > settings.maxVersion()) {
                fail(ctx, HandshakeFailure.PROTOCOL_VERSION, false);
                return;
            }
            if (Arrays.equals(challenge.nonce(), nonce)) {
                fail(ctx, HandshakeFailure.MALFORMED, false); // our own nonce reflected back
                return;
            }
            transcript = new Transcript(version, settings.minVersion(), settings.maxVersion(), channel, settings.self(), expected,
                    nonce, challenge.nonce());
            state = State.AWAIT_PROOF;
            send(ctx, new HandshakeMessage.Proof(transcript.proof(settings.key(), Role.DIALLER)));
        } else if (state == State.AWAIT_PROOF && m instanceof HandshakeMessage.Proof proof) {
            if (!transcript.verify(settings.key(), Role.ACCEPTOR, proof.mac())) {
                fail(ctx, HandshakeFailure.COOKIE_MISMATCH, false);
                return;
            }
            succeed(ctx, expected, version);
        } else {
            fail(ctx, HandshakeFailure.MALFORMED, false);
        }
    }
}

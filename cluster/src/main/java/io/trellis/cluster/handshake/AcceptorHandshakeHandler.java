package io.trellis.cluster.handshake;

import io.netty.channel.ChannelHandlerContext;
import io.trellis.cluster.ClusterChannel;
import io.trellis.cluster.NodeName;

/**
 * The listening side: waits for HELLO, checks version, channel and the name the dialler
 * expects, answers with its nonce only, verifies the dialler's proof in constant time and only
 * then proves itself. A stranger therefore never gets anything derived from the cookie.
 */
public final class AcceptorHandshakeHandler extends HandshakeHandler {
    private enum State { AWAIT_HELLO, AWAIT_PROOF }

    private State state = State.AWAIT_HELLO;
    private NodeName dialler;
    private Transcript transcript;
    private int version;

    public AcceptorHandshakeHandler(HandshakeSettings settings, ClusterChannel channel) {
        super(settings, channel, Role.ACCEPTOR);
    }

    @Override
    void onStart(ChannelHandlerContext ctx) {
        // The dialler speaks first.
    }

    @Override
    void onMessage(ChannelHandlerContext ctx, HandshakeMessage m) {
        if (state == State.AWAIT_HELLO && m instanceof HandshakeMessage.Hello hello) {
            onHello(ctx, hello);
        } else if (state == State.AWAIT_PROOF && m instanceof HandshakeMessage.Proof proof) {
            if (!transcript.verify(settings.key(), Role.DIALLER, proof.mac())) {
                fail(ctx, HandshakeFailure.COOKIE_MISMATCH, false);
                return;
            }
            send(ctx, new HandshakeMessage.Proof(transcript.proof(settings.key(), Role.ACCEPTOR)));
            succeed(ctx, dialler, version);
        } else {
            fail(ctx, HandshakeFailure.MALFORMED, false);
        }
    }

    private void onHello(ChannelHandlerContext ctx, HandshakeMessage.Hello hello) {
        dialler = parseOrNull(hello.diallerName());
        if (dialler == null) {
            fail(ctx, HandshakeFailure.MALFORMED, false);
            return;
        }
        peerName = dialler.toString();
        int low = Math.max(hello.minVersion(), settings.minVersion());
        version = Math.min(hello.maxVersion(), settings.maxVersion());
        if (version < low) {
            fail(ctx, HandshakeFailure.PROTOCOL_VERSION, false);
            return;
        }
        if (hello.channel() != channel) {
            fail(ctx, HandshakeFailure.CHANNEL_MISMATCH, false);
            return;
        }
        if (!settings.self().equals(parseOrNull(hello.expectedName()))) {
            fail(ctx, HandshakeFailure.UNEXPECTED_NODE_NAME, false);
            return;
        }
        byte[] nonce = settings.newNonce();
        transcript = new Transcript(version, hello.minVersion(), hello.maxVersion(), channel, dialler, settings.self(), hello.nonce(), nonce);
        state = State.AWAIT_PROOF;
        send(ctx, new HandshakeMessage.Challenge(version, nonce));
    }
}

package io.trellis.cluster.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLSession;
import io.trellis.cluster.handshake.HandshakeFailure;
import io.trellis.cluster.handshake.HandshakeHandler;
import io.trellis.cluster.handshake.TransportFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Right behind the SslHandler: turns a failed TLS handshake into a {@link TransportFailure} for
 * the cookie handshake handler, so the refusal log and {@code ctl cluster join} name the cause.
 * A plain-TCP dialler that reached this TLS acceptor is told so in a plain refusal frame (it could
 * not read a TLS alert). Once the cookie handshake is done, exceptions pass through untouched.
 */
final class TlsGuard extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(TlsGuard.class);

    private final boolean acceptor;
    private boolean reported;

    TlsGuard(boolean acceptor) {
        this.acceptor = acceptor;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            report(ctx, done.cause());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (handshakePending(ctx)) {
            report(ctx, cause); // e.g. TLS 1.3: the acceptor's verdict on our certificate arrives after our handshake
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private boolean handshakePending(ChannelHandlerContext ctx) {
        return ctx.pipeline().get(ClusterHandlerNames.HANDSHAKE) != null;
    }

    private static boolean sentNoCertificate(ChannelHandlerContext ctx) {
        if (!(ctx.pipeline().get(ClusterHandlerNames.TLS) instanceof SslHandler ssl)) {
            return false;
        }
        SSLSession session = ssl.engine().getSession();
        java.security.cert.Certificate[] local = session == null ? null : session.getLocalCertificates();
        return local == null || local.length == 0;
    }

    private void report(ChannelHandlerContext ctx, Throwable cause) {
        if (reported || !handshakePending(ctx)) {
            return;
        }
        reported = true;
        TlsFailures.Classified c = TlsFailures.classify(cause);
        if (!acceptor && c.reason() == HandshakeFailure.TLS_CERT_REFUSED && sentNoCertificate(ctx)) {
            // The JDK answers a missing client certificate with a bare bad_certificate alert.
            c = new TlsFailures.Classified(HandshakeFailure.TLS_NO_PEER_CERT, true);
        }
        // Engine messages name alerts and checks, never key material.
        LOG.debug("TLS with {} failed: {} ({})", ctx.channel().remoteAddress(), c.reason().words(), cause.toString());
        if (acceptor && c.reason() == HandshakeFailure.PEER_NOT_TLS && ctx.channel().isActive()) {
            ChannelHandlerContext below = ctx.pipeline().context(ClusterHandlerNames.TLS);
            if (below != null) {
                below.writeAndFlush(HandshakeHandler.refusalFrame(ctx.alloc(), HandshakeFailure.PEER_EXPECTS_TLS));
            }
        }
        ctx.fireUserEventTriggered(new TransportFailure(c.reason(), c.reportedByPeer()));
    }
}

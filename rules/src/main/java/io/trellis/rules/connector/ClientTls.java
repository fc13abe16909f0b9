package io.trellis.rules.connector;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.trellis.rules.RuleConfigException;
import io.trellis.rules.api.ConnectorBody;
import java.io.File;
import javax.net.ssl.SSLException;

/**
 * Client TLS for connectors from EMQX's {@code ssl} block. Peer verification and host name
 * verification are on unless {@code verify = verify_none}; without {@code cacertfile} the JDK's
 * trust store is used.
 */
final class ClientTls {

    private ClientTls() {
    }

    static SslContext context(ConnectorBody.Ssl ssl) throws RuleConfigException {
        if (ssl == null || !ssl.enabled()) return null;
        SslContextBuilder b = SslContextBuilder.forClient();
        if (!ssl.verifyPeer()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            b.endpointIdentificationAlgorithm("HTTPS");
            if (ssl.cacertfile() != null && !ssl.cacertfile().isBlank()) {
                File ca = new File(ssl.cacertfile());
                if (!ca.canRead()) {
                    throw new RuleConfigException("ssl.cacertfile", "ssl.cacertfile: cannot read " + ca + "; give a readable PEM CA bundle");
                }
                b.trustManager(ca);
            }
        }
        try {
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new RuleConfigException("ssl", "ssl: cannot build a TLS client context: " + e.getMessage());
        }
    }
}

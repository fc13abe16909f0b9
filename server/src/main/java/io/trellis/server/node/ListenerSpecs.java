package io.trellis.server.node;

import io.netty.handler.ssl.SslContext;
import io.trellis.mqtt.transport.ListenerSpec;
import io.trellis.security.DevCertificates;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import io.trellis.security.TlsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns listener plans into {@link ListenerSpec}s, making TLS contexts for ssl and wss. */
public final class ListenerSpecs {
    /** Where the shipped config points ssl_options; only there are development certificates made. */
    static final Path DEFAULT_CERT_DIR = Path.of("etc", "certs");
    private static final Logger LOG = LoggerFactory.getLogger(ListenerSpecs.class);

    private ListenerSpecs() {
    }

    public static List<ListenerSpec> build(List<NodeSettings.ListenerPlan> plans) throws NodeStartException {
        List<ListenerSpec> specs = new ArrayList<>();
        for (NodeSettings.ListenerPlan plan : plans) {
            SslContext ssl = plan.tls() == null ? null : sslContext(plan);
            specs.add(new ListenerSpec(plan.type(), plan.name(), plan.bind(), ssl, plan.wsPath(),
                    plan.maxConnections()));
        }
        return specs;
    }

    private static SslContext sslContext(NodeSettings.ListenerPlan plan) throws NodeStartException {
        NodeSettings.TlsFiles tls = plan.tls();
        String keyPrefix = "listeners." + plan.type().id() + "." + plan.name() + ".ssl_options";
        try {
            if (isDefaultLocation(tls.certfile()) && isDefaultLocation(tls.keyfile())
                    && !Files.exists(tls.certfile()) && !Files.exists(tls.keyfile())
                    && DevCertificates.ensure(tls.certfile().getParent())) {
                LOG.warn("made development TLS certificates in {} for listener {}; replace them with your own "
                        + "(set {}.certfile and keyfile)", tls.certfile().getParent(), plan.id(), keyPrefix);
            }
            Path ca = tls.cacertfile() != null && (tls.verifyPeer() || Files.exists(tls.cacertfile()))
                    ? tls.cacertfile() : null;
            return TlsContexts.forServer(new TlsOptions(tls.certfile(), tls.keyfile(),
                    tls.password() == null || tls.password().isEmpty() ? null : tls.password(), ca,
                    tls.verifyPeer(), tls.failIfNoPeerCert(), tls.versions(), tls.ciphers()));
        } catch (TlsConfigException e) {
            throw new NodeStartException("listener " + plan.id() + ": " + e.getMessage() + " (check " + keyPrefix
                    + ")", e);
        }
    }

    private static boolean isDefaultLocation(Path file) {
        return file != null && file.normalize().getParent() != null
                && file.normalize().getParent().equals(DEFAULT_CERT_DIR);
    }
}

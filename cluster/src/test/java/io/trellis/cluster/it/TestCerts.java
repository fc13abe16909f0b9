package io.trellis.cluster.it;

import io.netty.handler.ssl.SslProvider;
import io.trellis.cluster.NodeName;
import io.trellis.cluster.transport.ChannelTls;
import io.trellis.security.TlsOptions;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;

/** A test CA in a temp dir, and node certificates for a node name's host as PEM files. */
final class TestCerts {
    final CertificateAuthority ca;
    final Path dir;
    final Path caFile;

    TestCerts(Path dir, String name) {
        this.dir = dir;
        this.ca = CertificateAuthority.create(name, KeyPairs.ecP256(), Duration.ofDays(30));
        this.caFile = write(name + "-ca.pem", PemWriter.certificates(ca.certificate()));
    }

    TlsOptions node(NodeName node) {
        KeyPair kp = KeyPairs.ecP256();
        var cert = ca.issue(node.toString(), List.of(node.host()), kp, Duration.ofDays(1),
                CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT);
        String base = node.toString().replace('@', '_').replace(':', '_');
        Path certFile = write(base + ".pem", PemWriter.certificates(cert));
        Path keyFile = write(base + ".key", PemWriter.pkcs8(kp.getPrivate()));
        return new TlsOptions(certFile, keyFile, null, caFile, true, true, List.of("tlsv1.3", "tlsv1.2"), List.of());
    }

    ChannelTls tls(NodeName node, SslProvider provider) {
        try {
            return ChannelTls.fromOptions(node(node), false, provider);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Path write(String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, text);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.trellis.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.trellis.security.TlsContexts;
import io.trellis.security.TlsMaterial;
import io.trellis.security.TlsOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {
    @TempDir
    Path dir;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return TrellisCommand.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void initCaThenNodeGivesOwnerOnlyFilesWithTheHostAsSanAndBothUsages() throws Exception {
        Path cluster = dir.resolve("etc/certs/cluster");
        assertThat(run("certs", "init-ca", "--dir", cluster.toString())).as(err.toString()).isZero();
        assertThat(run("certs", "node", "trellis1@10.0.0.7", "--dir", cluster.toString())).as(err.toString()).isZero();

        for (String f : List.of("ca.pem", "ca.key", "node.pem", "node.key")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.resolve(f)))).as(f).isEqualTo("rw-------");
        }
        X509Certificate node = TlsMaterial.load(cluster.resolve("node.pem"), cluster.resolve("node.key"), null).chain().get(0);
        assertThat(node.getSubjectAlternativeNames()).containsExactly(List.of(7, "10.0.0.7"));
        assertThat(node.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(node.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(node.getKeyUsage()[2]).as("keyEncipherment").isTrue();
        // The files are the rpc.* keys as they stand: a server context with peer verification builds.
        TlsContexts.forServer(new TlsOptions(cluster.resolve("node.pem"), cluster.resolve("node.key"), null, cluster.resolve("ca.pem"),
                true, true, List.of("tlsv1.3", "tlsv1.2"), List.of()));
    }

    @Test
    void aDnsHostBecomesADnsSanAndMqttCertificatesNameEveryHost() throws Exception {
        Path cluster = dir.resolve("cluster");
        assertThat(run("certs", "init-ca", "--dir", cluster.toString())).isZero();
        assertThat(run("certs", "node", "n1@node1.example.com", "--dir", dir.resolve("n1").toString(), "--ca-dir", cluster.toString()))
                .as(err.toString()).isZero();
        X509Certificate n1 = TlsMaterial.load(dir.resolve("n1/node.pem"), dir.resolve("n1/node.key"), null).chain().get(0);
        assertThat(n1.getSubjectAlternativeNames()).containsExactly(List.of(2, "node1.example.com"));

        assertThat(run("certs", "mqtt", "mqtt.example.com", "10.1.2.3", "--dir", dir.resolve("mqtt").toString(),
                "--ca-dir", cluster.toString())).as(err.toString()).isZero();
        X509Certificate mqtt = TlsMaterial.load(dir.resolve("mqtt/cert.pem"), dir.resolve("mqtt/key.pem"), null).chain().get(0);
        assertThat(mqtt.getSubjectAlternativeNames()).containsExactlyInAnyOrder(List.of(2, "mqtt.example.com"), List.of(7, "10.1.2.3"));
        assertThat(dir.resolve("mqtt/ca.pem")).exists();
    }

    @Test
    void refusesToOverwriteAndExplainsAMissingCaOrBadName() {
        Path cluster = dir.resolve("c");
        assertThat(run("certs", "node", "n1@10.0.0.1", "--dir", cluster.toString())).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("no CA in").contains("certs init-ca");
        assertThat(run("certs", "init-ca", "--dir", cluster.toString())).isZero();
        assertThat(run("certs", "init-ca", "--dir", cluster.toString())).isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).contains("exists; Trellis never overwrites");
        assertThat(run("certs", "node", "no-host", "--dir", cluster.toString())).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("is not a node name; write name@host");
    }
}

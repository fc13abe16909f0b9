package io.trellis.server.cli;

import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsMaterial;
import io.trellis.security.pki.CertificateAuthority;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code trellis certs}: a private CA and certificates for TLS between nodes and for the MQTT TLS
 * listener, in the layout the config's defaults expect:
 *
 * <pre>
 * etc/certs/cluster/ca.pem, ca.key      certs init-ca          (cluster CA; ca.key stays on the machine that issues)
 * etc/certs/cluster/node.pem, node.key  certs node name@host   (rpc.certfile / keyfile / cacertfile defaults)
 * etc/certs/cert.pem, key.pem, ca.pem   certs mqtt host...     (listeners.ssl.default.ssl_options defaults)
 * </pre>
 *
 * Keys are RSA 2048; leaves carry keyUsage digitalSignature + keyEncipherment and extendedKeyUsage
 * serverAuth + clientAuth (a node is server and client of its peers). Every file is created mode
 * 600 and never overwritten.
 */
@Command(name = "certs", description = "Create a CA and certificates for TLS between nodes and for MQTT TLS.",
        subcommands = {CertsCommand.InitCa.class, CertsCommand.Node.class, CertsCommand.Mqtt.class})
final class CertsCommand {
    static final String CLUSTER_DIR = "etc/certs/cluster";

    @Command(name = "init-ca", description = "Create the cluster CA: <dir>/ca.pem and <dir>/ca.key.")
    static final class InitCa implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", defaultValue = CLUSTER_DIR, description = "Directory of the CA files (default ${DEFAULT-VALUE}).")
        Path dir;
        @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException {
            CertificateAuthority ca = CertificateAuthority.create("Trellis cluster CA", KeyPairs.rsa(2048), Duration.ofDays(positive(days)));
            Files.createDirectories(dir);
            write(dir.resolve("ca.key"), PemWriter.pkcs8(ca.keyPair().getPrivate()));
            write(dir.resolve("ca.pem"), PemWriter.certificates(ca.certificate()));
            spec.commandLine().getOut().println("wrote " + dir.resolve("ca.pem") + " and " + dir.resolve("ca.key")
                    + " (mode 600); copy ca.pem to every node, keep ca.key where you issue certificates");
            return ExitCodes.OK;
        }
    }

    @Command(name = "node", description = "Create <dir>/node.pem and node.key for a node, signed by <ca-dir>/ca.pem; SAN = the node name's host.")
    static final class Node implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME@HOST", description = "The node's node.name, e.g. trellis1@10.0.0.1.")
        String name;
        @Option(names = "--dir", defaultValue = CLUSTER_DIR, description = "Directory of node.pem / node.key (default ${DEFAULT-VALUE}).")
        Path dir;
        @Option(names = "--ca-dir", description = "Directory of ca.pem / ca.key (default: --dir).")
        Path caDir;
        @Option(names = "--days", defaultValue = "825", description = "Validity in days (default ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException {
            String host = hostOf(name);
            Path from = caDir == null ? dir : caDir;
            CertificateAuthority ca = loadCa(from);
            KeyPair key = KeyPairs.rsa(2048);
            var cert = ca.issue(name, List.of(host), key, Duration.ofDays(positive(days)),
                    CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT);
            Files.createDirectories(dir);
            write(dir.resolve("node.key"), PemWriter.pkcs8(key.getPrivate()));
            write(dir.resolve("node.pem"), PemWriter.certificates(cert));
            if (!Files.exists(dir.resolve("ca.pem"))) {
                write(dir.resolve("ca.pem"), PemWriter.certificates(ca.certificate()));
            }
            spec.commandLine().getOut().println("wrote " + dir.resolve("node.pem") + " and " + dir.resolve("node.key") + " for " + name
                    + " (SAN " + host + "); with " + dir.resolve("ca.pem") + " they are rpc.certfile, keyfile and cacertfile"
                    + " (and cluster.ssl_dist.*)");
            return ExitCodes.OK;
        }
    }

    @Command(name = "mqtt", description = "Create <dir>/cert.pem, key.pem and ca.pem for the MQTT TLS listener, signed by <ca-dir>/ca.pem.")
    static final class Mqtt implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(arity = "1..*", paramLabel = "HOST", description = "Host names or IP addresses clients connect to (the SANs).")
        List<String> hosts;
        @Option(names = "--dir", defaultValue = "etc/certs", description = "Directory of cert.pem / key.pem (default ${DEFAULT-VALUE}).")
        Path dir;
        @Option(names = "--ca-dir", defaultValue = CLUSTER_DIR, description = "Directory of ca.pem / ca.key (default ${DEFAULT-VALUE}).")
        Path caDir;
        @Option(names = "--days", defaultValue = "825", description = "Validity in days (default ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() throws IOException {
            CertificateAuthority ca = loadCa(caDir);
            KeyPair key = KeyPairs.rsa(2048);
            var cert = ca.issue(hosts.get(0), hosts, key, Duration.ofDays(positive(days)), CertificateAuthority.Usage.SERVER);
            Files.createDirectories(dir);
            write(dir.resolve("key.pem"), PemWriter.pkcs8(key.getPrivate()));
            write(dir.resolve("cert.pem"), PemWriter.certificates(cert));
            if (!Files.exists(dir.resolve("ca.pem"))) {
                write(dir.resolve("ca.pem"), PemWriter.certificates(ca.certificate()));
            }
            spec.commandLine().getOut().println("wrote " + dir.resolve("cert.pem") + " and " + dir.resolve("key.pem") + " for " + hosts
                    + "; they are listeners.ssl.default.ssl_options.certfile and keyfile; clients trust " + dir.resolve("ca.pem"));
            return ExitCodes.OK;
        }
    }

    /** The host of name@host (an IPv6 literal may be bracketed), as node.name writes it. */
    static String hostOf(String name) {
        int at = name.indexOf('@');
        String host = at < 0 ? "" : name.substring(at + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (at < 1 || host.isEmpty() || host.contains("@") || !name.substring(0, at).matches("[A-Za-z0-9_-]+")) {
            throw new CliException("certs node: '" + name + "' is not a node name; write name@host as in node.name, e.g. trellis1@10.0.0.1",
                    ExitCodes.USAGE);
        }
        return host;
    }

    private static int positive(int days) {
        if (days < 1) {
            throw new CliException("--days must be at least 1", ExitCodes.USAGE);
        }
        return days;
    }

    static CertificateAuthority loadCa(Path dir) {
        Path pem = dir.resolve("ca.pem");
        Path key = dir.resolve("ca.key");
        if (!Files.exists(pem) || !Files.exists(key)) {
            throw new CliException("no CA in " + dir + " (ca.pem and ca.key): run `trellis certs init-ca --dir " + dir + "` first, or pass --ca-dir");
        }
        try {
            TlsMaterial material = TlsMaterial.load(pem, key, null);
            return CertificateAuthority.of(new KeyPair(material.chain().get(0).getPublicKey(), material.key()), material.chain().get(0));
        } catch (TlsConfigException | IllegalArgumentException e) {
            throw new CliException("the CA in " + dir + " is not usable: " + e.getMessage());
        }
    }

    private static void write(Path file, String text) throws IOException {
        try {
            PemWriter.writeNewOwnerOnly(file, text);
        } catch (FileAlreadyExistsException e) {
            throw new CliException(file + " exists; Trellis never overwrites certificates or keys: move it away or use another --dir");
        }
    }
}

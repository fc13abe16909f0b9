package io.trellis.cluster.transport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.trellis.config.Keys;
import io.trellis.config.Secret;
import io.trellis.config.TrellisConfig;
import io.trellis.security.TlsConfigException;
import io.trellis.security.TlsContexts;
import io.trellis.security.TlsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the TLS keys of both channels into a {@link TransportSecurity}, loading and checking
 * every file now so a bad one stops the node with a message naming the key.
 *
 * <ul>
 *   <li>Cluster RPC: {@code rpc.driver = ssl} (or EMQX's older name {@code rpc.protocol = ssl};
 *   the two may not contradict each other) with {@code rpc.certfile, keyfile, cacertfile, ...}.</li>
 *   <li>Distribution: {@code cluster.proto_dist = inet_tls | inet6_tls} with {@code cluster.ssl_dist.*};
 *   the file {@code node.ssl_dist_optfile}, when it exists, overrides those keys one by one. It is
 *   HOCON with the keys of cluster.ssl_dist at top level (EMQX's file is in Erlang term format;
 *   Trellis does not read that). With TLS and neither a certfile nor the file: an error.</li>
 * </ul>
 * {@code verify = verify_none} logs one warning per channel when read.
 */
public final class TransportSecurityConfig {
    private static final Logger LOG = LoggerFactory.getLogger(TransportSecurityConfig.class);
    private static final Set<String> OPTFILE_KEYS = Set.of("certfile", "keyfile", "cacertfile", "password", "verify",
            "fail_if_no_peer_cert", "tls_versions", "ciphers", "verify_peer_host");

    private TransportSecurityConfig() {
    }

    /** Whether cluster.proto_dist asks for TLS. */
    public static boolean distTls(TrellisConfig config) {
        return config.get(Keys.CLUSTER_PROTO_DIST).endsWith("_tls");
    }

    /** The effective rpc driver, "tcp" or "ssl", from rpc.driver and its alias rpc.protocol. */
    public static String rpcDriver(TrellisConfig config, List<String> problems) {
        String driver = config.get(Keys.RPC_DRIVER);
        String protocol = config.get(Keys.RPC_PROTOCOL);
        if (protocol.isEmpty()) {
            return driver;
        }
        if (driver.equals("ssl") && protocol.equals("tcp")) {
            problems.add(Keys.RPC_PROTOCOL.path() + ": 'tcp' contradicts rpc.driver = ssl; remove rpc.protocol (EMQX's older name of rpc.driver)");
        }
        return driver.equals("ssl") ? driver : protocol;
    }

    /** Both channels' TLS; problems (naming the key or file) are added to {@code problems}, and plain is returned for that channel. */
    public static TransportSecurity from(TrellisConfig config, List<String> problems) {
        ChannelTls rpc = ChannelTls.PLAIN;
        if (rpcDriver(config, problems).equals("ssl")) {
            TlsOptions options = new TlsOptions(config.get(Keys.RPC_CERTFILE), config.get(Keys.RPC_KEYFILE), config.get(Keys.RPC_PASSWORD),
                    config.get(Keys.RPC_CACERTFILE), config.get(Keys.RPC_VERIFY).equals("verify_peer"),
                    config.get(Keys.RPC_FAIL_IF_NO_PEER_CERT), config.get(Keys.RPC_TLS_VERSIONS), config.get(Keys.RPC_CIPHERS));
            rpc = build("rpc", options, config.get(Keys.RPC_VERIFY_PEER_HOST), problems);
        }
        ChannelTls dist = ChannelTls.PLAIN;
        if (distTls(config)) {
            dist = distFrom(config, problems);
        }
        return new TransportSecurity(dist, rpc);
    }

    private static ChannelTls distFrom(TrellisConfig config, List<String> problems) {
        Path certfile = config.get(Keys.CLUSTER_SSL_DIST_CERTFILE);
        Path keyfile = config.get(Keys.CLUSTER_SSL_DIST_KEYFILE);
        Path cacertfile = config.get(Keys.CLUSTER_SSL_DIST_CACERTFILE);
        Secret password = config.get(Keys.CLUSTER_SSL_DIST_PASSWORD);
        boolean verifyPeer = config.get(Keys.CLUSTER_SSL_DIST_VERIFY).equals("verify_peer");
        boolean failIfNoPeerCert = config.get(Keys.CLUSTER_SSL_DIST_FAIL_IF_NO_PEER_CERT);
        List<String> versions = config.get(Keys.CLUSTER_SSL_DIST_TLS_VERSIONS);
        List<String> ciphers = config.get(Keys.CLUSTER_SSL_DIST_CIPHERS);
        boolean verifyPeerHost = config.get(Keys.CLUSTER_SSL_DIST_VERIFY_PEER_HOST);
        String where = "cluster.ssl_dist";
        Path optfile = config.get(Keys.NODE_SSL_DIST_OPTFILE);
        if (optfile != null && Files.isRegularFile(optfile)) {
            where = optfile.toString();
            Config file;
            try {
                file = ConfigFactory.parseFile(optfile.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
            } catch (ConfigException e) {
                problems.add(Keys.NODE_SSL_DIST_OPTFILE.path() + ": " + optfile + " is not HOCON (" + e.getMessage()
                        + "); write it as key = value lines with the keys of cluster.ssl_dist (EMQX's Erlang term format is not read)");
                return ChannelTls.PLAIN;
            }
            for (String key : file.root().keySet()) {
                if (!OPTFILE_KEYS.contains(key)) {
                    problems.add(Keys.NODE_SSL_DIST_OPTFILE.path() + ": " + optfile + ": unknown key '" + key + "'; use " + OPTFILE_KEYS);
                }
            }
            try {
                certfile = file.hasPath("certfile") ? Path.of(file.getString("certfile")) : certfile;
                keyfile = file.hasPath("keyfile") ? Path.of(file.getString("keyfile")) : keyfile;
                cacertfile = file.hasPath("cacertfile") ? Path.of(file.getString("cacertfile")) : cacertfile;
                password = file.hasPath("password") ? new Secret(file.getString("password")) : password;
                if (file.hasPath("verify")) {
                    String v = file.getString("verify");
                    if (!v.equals("verify_peer") && !v.equals("verify_none")) {
                        problems.add(optfile + ": verify = '" + v + "'; write verify_peer or verify_none");
                    }
                    verifyPeer = v.equals("verify_peer");
                }
                failIfNoPeerCert = file.hasPath("fail_if_no_peer_cert") ? file.getBoolean("fail_if_no_peer_cert") : failIfNoPeerCert;
                versions = file.hasPath("tls_versions") ? file.getStringList("tls_versions") : versions;
                ciphers = file.hasPath("ciphers") ? file.getStringList("ciphers") : ciphers;
                verifyPeerHost = file.hasPath("verify_peer_host") ? file.getBoolean("verify_peer_host") : verifyPeerHost;
            } catch (ConfigException e) {
                problems.add(Keys.NODE_SSL_DIST_OPTFILE.path() + ": " + optfile + ": " + e.getMessage());
                return ChannelTls.PLAIN;
            }
        } else if (certfile == null) {
            problems.add(Keys.CLUSTER_PROTO_DIST.path() + " = " + config.get(Keys.CLUSTER_PROTO_DIST)
                    + " needs TLS options: set cluster.ssl_dist.certfile, keyfile and cacertfile, or write them in "
                    + Keys.NODE_SSL_DIST_OPTFILE.path() + " (" + optfile + ", not found)");
            return ChannelTls.PLAIN;
        }
        TlsOptions options = new TlsOptions(certfile, keyfile, password, cacertfile, verifyPeer, failIfNoPeerCert, versions, ciphers);
        return build(where, options, verifyPeerHost, problems);
    }

    private static ChannelTls build(String where, TlsOptions options, boolean verifyPeerHost, List<String> problems) {
        try {
            ChannelTls tls = ChannelTls.fromOptions(options, verifyPeerHost, TlsContexts.provider());
            if (!options.verifyPeer()) {
                LOG.warn("{}: verify = verify_none: peers' certificates are not checked, so any TLS client can reach the cookie handshake;"
                        + " set verify = verify_peer with cacertfile", where);
            }
            return tls;
        } catch (TlsConfigException e) {
            problems.add(where + ": " + e.getMessage());
            return ChannelTls.PLAIN;
        }
    }
}

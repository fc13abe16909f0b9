package io.trellis.security;

import io.trellis.config.Secret;
import java.nio.file.Path;
import java.util.List;

/**
 * TLS material and policy as EMQX's {@code ssl_options} / {@code rpc} / {@code ssl_dist} keys
 * name them. CONTRACT: add fields, do not remove.
 *
 * @param certfile          PEM certificate chain (leaf first)
 * @param keyfile           PEM private key: PKCS#8, PKCS#1 or SEC1, optionally encrypted
 * @param keyPassword       password of an encrypted key, or null
 * @param cacertfile        PEM CA bundle peers are verified against, or null (then no peer verification possible)
 * @param verifyPeer        verify_peer (true) or verify_none (false)
 * @param failIfNoPeerCert  server side: refuse a peer that sends no certificate
 * @param versions          e.g. ["tlsv1.3", "tlsv1.2"]
 * @param ciphers           cipher suite names, empty = provider defaults
 */
public record TlsOptions(Path certfile, Path keyfile, Secret keyPassword, Path cacertfile, boolean verifyPeer,
                         boolean failIfNoPeerCert, List<String> versions, List<String> ciphers) {
}

package io.trellis.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** EMQX configs name ciphers the OpenSSL way; Java configs the IANA way. Both work on both engines. */
class CipherNamesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void acceptsOpenSslAndIanaNames(SslProvider provider) throws Exception {
        assumeTrue(provider != SslProvider.OPENSSL || OpenSsl.isAvailable(), "OpenSSL not available");
        TestPki.Leaf leaf = new TestPki(dir).leaf("s");
        for (String name : List.of("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")) {
            TlsOptions opts = new TlsOptions(leaf.certFile(), leaf.keyFile(), null, null, false, false,
                    List.of("tlsv1.2"), List.of(name));
            SslContext ctx = TlsContexts.forServer(opts, provider);
            assertThat(ctx.cipherSuites()).as(name).containsExactly("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        }
    }

    @org.junit.jupiter.api.Test
    void translatesOpenSslNames() throws Exception {
        assertThat(TlsCiphers.toIana(List.of("ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
                "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA", "DHE-RSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-CCM", "TLS_AES_128_GCM_SHA256")))
                .containsExactly("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                        "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
                        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS_AES_128_GCM_SHA256");
    }
}

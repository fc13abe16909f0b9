package io.trellis.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.trellis.security.pem.PemFiles;
import io.trellis.security.pki.KeyPairs;
import io.trellis.security.pki.PemWriter;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemKeyFormatsTest {
    @TempDir
    Path dir;

    private final KeyPair rsa = KeyPairs.rsa(2048);
    private final KeyPair ec = KeyPairs.ecP256();

    @Test
    void readsPkcs8() throws Exception {
        assertSameKey(read("rsa8.pem", PemWriter.pkcs8(rsa.getPrivate()), null), rsa);
        assertSameKey(read("ec8.pem", PemWriter.pkcs8(ec.getPrivate()), null), ec);
    }

    @Test
    void readsPkcs1RsaAndSec1Ec() throws Exception {
        String pkcs1 = TestPki.traditional(rsa.getPrivate());
        String sec1 = TestPki.traditional(ec.getPrivate());
        assertThat(pkcs1).contains("BEGIN RSA PRIVATE KEY");
        assertThat(sec1).contains("BEGIN EC PRIVATE KEY");
        assertSameKey(read("rsa1.pem", pkcs1, null), rsa);
        assertSameKey(read("sec1.pem", sec1, null), ec);
    }

    @Test
    void readsEncryptedPkcs8() throws Exception {
        String text = TestPki.pkcs8Encrypted(ec.getPrivate(), TestPki.PASSWORD);
        assertThat(text).contains("BEGIN ENCRYPTED PRIVATE KEY");
        assertSameKey(read("enc8.pem", text, TestPki.PASSWORD), ec);
    }

    @Test
    void readsLegacyEncryptedPem() throws Exception {
        String text = TestPki.traditionalEncrypted(rsa.getPrivate(), TestPki.PASSWORD);
        assertThat(text).contains("Proc-Type: 4,ENCRYPTED");
        assertSameKey(read("legacy.pem", text, TestPki.PASSWORD), rsa);
        assertSameKey(read("legacy-ec.pem", TestPki.traditionalEncrypted(ec.getPrivate(), TestPki.PASSWORD),
                TestPki.PASSWORD), ec);
    }

    @Test
    void wrongPasswordIsNamedAndNeverQuoted() throws Exception {
        Path enc8 = write("enc8.pem", TestPki.pkcs8Encrypted(ec.getPrivate(), TestPki.PASSWORD));
        Path legacy = write("legacy.pem", TestPki.traditionalEncrypted(rsa.getPrivate(), TestPki.PASSWORD));
        for (Path p : List.of(enc8, legacy)) {
            assertThatThrownBy(() -> PemFiles.readPrivateKey(p, TestPki.secret("not-the-password")))
                    .isInstanceOf(TlsConfigException.class)
                    .hasMessageContaining(p.toString())
                    .hasMessageContaining("wrong key password")
                    .hasMessageNotContaining("not-the-password")
                    .hasNoCause();
            assertThatThrownBy(() -> PemFiles.readPrivateKey(p, null))
                    .hasMessageContaining(p.toString())
                    .hasMessageContaining("encrypted but no key password is set");
        }
    }

    /** Keys as the openssl command line writes them, when it is installed. */
    @Test
    void readsWhatOpensslWrites() throws Exception {
        assumeTrue(onPath("openssl"), "openssl CLI not installed: skipping the interoperability check");
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k1.pem", "k1.pem", null});
        cases.add(new String[] {"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k2.pem", "k2.pem", null});
        cases.add(new String[] {"rsa -in k2.pem -traditional -out k3.pem", "k3.pem", null});
        cases.add(new String[] {"ec -in k1.pem -out k4.pem", "k4.pem", null});
        cases.add(new String[] {"pkcs8 -topk8 -in k1.pem -v2 aes-256-cbc -passout pass:" + TestPki.PASSWORD + " -out k5.pem",
                "k5.pem", TestPki.PASSWORD});
        cases.add(new String[] {"rsa -in k2.pem -traditional -aes128 -passout pass:" + TestPki.PASSWORD + " -out k6.pem",
                "k6.pem", TestPki.PASSWORD});
        cases.add(new String[] {"genpkey -algorithm ED25519 -out k7.pem", "k7.pem", null});
        for (String[] c : cases) {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(c[0].split(" ")));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(c[0] + ": " + new String(p.getInputStream().readAllBytes())).isZero();
            PrivateKey key = PemFiles.readPrivateKey(dir.resolve(c[1]), c[2] == null ? null : TestPki.secret(c[2]));
            assertThat(key.getEncoded()).as(c[0]).isNotEmpty();
        }
        assertThat(Files.readString(dir.resolve("k3.pem"))).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Files.readString(dir.resolve("k4.pem"))).contains("BEGIN EC PRIVATE KEY");
        assertThat(Files.readString(dir.resolve("k6.pem"))).contains("Proc-Type: 4,ENCRYPTED");
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private PrivateKey read(String name, String text, String password) throws Exception {
        return PemFiles.readPrivateKey(write(name, text), password == null ? null : TestPki.secret(password));
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static void assertSameKey(PrivateKey read, KeyPair expected) {
        assertThat(read.getAlgorithm()).isEqualTo(expected.getPrivate().getAlgorithm());
        assertThat(TlsMaterial.matches(read, expected.getPublic())).isTrue();
    }
}

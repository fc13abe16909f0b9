package io.trellis.security.authn;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trellis.security.authn.PasswordHashing.Bcrypt;
import io.trellis.security.authn.PasswordHashing.MacFun;
import io.trellis.security.authn.PasswordHashing.Pbkdf2;
import io.trellis.security.authn.PasswordHashing.SaltPosition;
import io.trellis.security.authn.PasswordHashing.Simple;
import io.trellis.security.authn.PasswordHashing.SimpleAlgorithm;
import java.util.Arrays;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PasswordHashingTest {

  private static final byte[] PUBLIC = "public".getBytes(UTF_8);
  private static final String SALT = "slat_foo123";

  /**
   * Vectors from Python's hashlib (independent of the JDK), e.g.
   * {@code hashlib.sha256(b"slat_foo123" + b"public").hexdigest()} for prefix. The sha256/suffix
   * row is also EMQX's documented example (Redis authentication page: user emqx_u, password
   * public, salt slat_foo123).
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "MD5,    PREFIX,  08a0911a64c4e92e61a00f38be77a946",
      "MD5,    SUFFIX,  92ad7288c2e00635014fad86e7a1c68d",
      "MD5,    DISABLE, 4c9184f37cff01bcdc32dc486ec36961",
      "SHA,    PREFIX,  c368438705e08225637da163a5e630b7c48c5b03",
      "SHA,    SUFFIX,  49753b1627324ac08539bd4cf62ab3657cb84ba6",
      "SHA,    DISABLE, 61c9b2b17db77a27841bbeeabff923448b0f6388",
      "SHA256, PREFIX,  ae45b69fb70eaf222721b8b748eab19255d37b246eff0906eea8a7fed51b3000",
      "SHA256, SUFFIX,  44edc2d57cde8d79c98145003e105b90a14f1460b79186ea9cfe83942fc5abb5",
      "SHA256, DISABLE, efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7",
      "SHA512, PREFIX,  eb5319143b7ae42dce0ffd75f0b1c6466bb258f8c6f819cf8509034ef7d206f5c0c116e958a37e8129ae433615e06b7dd88b272fcd4a6e1299fbb593888ffeef",
      "SHA512, SUFFIX,  e907445054ea0ce6ffb211834a89f0810252c871f82dea2656ea07c3ffb86de1bbce83c5fe698a27b90b8dda9f372fd0dc39693543e80154404a774e2d42e174",
      "SHA512, DISABLE, d32997e9747b65a3ecf65b82533a4c843c4e16dd30cf371e8c81ab60a341de00051da422d41ff29c55695f233a1e06fac8b79aeb0a4d91ae5d3d18c8e09b8c73",
      "PLAIN,  PREFIX,  slat_foo123public",
      "PLAIN,  SUFFIX,  publicslat_foo123",
      "PLAIN,  DISABLE, public",
  })
  void simpleHashesMatchIndependentVectors(SimpleAlgorithm algorithm, SaltPosition position,
      String expected) {
    Simple hashing = new Simple(algorithm, position);

    assertThat(hashing.hash(PUBLIC, SALT)).isEqualTo(expected);
    assertThat(hashing.check(new HashedPassword(expected, SALT), PUBLIC)).isTrue();
    assertThat(hashing.check(new HashedPassword(expected, SALT), "Public".getBytes(UTF_8)))
        .isFalse();
    assertThat(hashing.check(new HashedPassword(expected, SALT), null)).isFalse();
  }

  @Test
  void saltPositionMattersAndWrongSaltFails() {
    String suffixed = "44edc2d57cde8d79c98145003e105b90a14f1460b79186ea9cfe83942fc5abb5";
    assertThat(new Simple(SimpleAlgorithm.SHA256, SaltPosition.PREFIX)
        .check(new HashedPassword(suffixed, SALT), PUBLIC)).isFalse();
    assertThat(new Simple(SimpleAlgorithm.SHA256, SaltPosition.SUFFIX)
        .check(new HashedPassword(suffixed, "other_salt"), PUBLIC)).isFalse();
  }

  @Test
  void upperCaseStoredHexIsAccepted() {
    String upper = "44EDC2D57CDE8D79C98145003E105B90A14F1460B79186EA9CFE83942FC5ABB5";
    assertThat(new Simple(SimpleAlgorithm.SHA256, SaltPosition.SUFFIX)
        .check(new HashedPassword(upper, SALT), PUBLIC)).isTrue();
  }

  @Test
  void defaultIsSha256WithPrefixAndAFreshHexSaltEachTime() {
    PasswordHashing hashing = PasswordHashing.emqxDefault();
    assertThat(hashing).isEqualTo(new Simple(SimpleAlgorithm.SHA256, SaltPosition.PREFIX));

    HashedPassword first = hashing.hash(PUBLIC);
    HashedPassword second = hashing.hash(PUBLIC);

    assertThat(first.salt()).matches("[0-9a-f]{32}").isNotEqualTo(second.salt());
    assertThat(first.passwordHash()).isEqualTo(
        ((Simple) hashing).hash(PUBLIC, first.salt())).isNotEqualTo(second.passwordHash());
    assertThat(hashing.check(first, PUBLIC)).isTrue();
    assertThat(hashing.check(first, "wrong".getBytes(UTF_8))).isFalse();
  }

  @Test
  void plainAndDisabledSaltGetNoGeneratedSalt() {
    assertThat(new Simple(SimpleAlgorithm.PLAIN, SaltPosition.PREFIX).hash(PUBLIC))
        .isEqualTo(new HashedPassword("public", ""));
    assertThat(new Simple(SimpleAlgorithm.MD5, SaltPosition.DISABLE).hash(PUBLIC).salt())
        .isEmpty();
  }

  /** Vectors from Python's {@code hashlib.pbkdf2_hmac(mac, b"public", b"slat_foo123", 1000, n)}. */
  @ParameterizedTest(name = "{0} dk_length={1}")
  @CsvSource({
      "SHA,    0,  392972ddd8fe62faeac34bf94331b2611e60f2ea",
      "SHA256, 0,  9c76391a681e1d939dd9eda0c754d41dbc0d3b4cbd02d73976f45f9790b4ed71",
      "SHA512, 0,  36542dafc4ee343d5d5602d8bc83793749b8a13b2bd48d687b0c9ac1a07d563921a580496d6b32d1999cfe5def53e193c248f97e4e558bedc2f145e65ac9c2a5",
      "SHA256, 16, 9c76391a681e1d939dd9eda0c754d41d",
      "MD5,    0,  25d37d52f7d316fffa5d7a090a4a04fd",
  })
  void pbkdf2MatchesIndependentVectors(MacFun mac, int dkLength, String expected) {
    Pbkdf2 hashing = new Pbkdf2(mac, 1000, dkLength);

    assertThat(hashing.hash(PUBLIC, SALT)).isEqualTo(expected);
    assertThat(hashing.check(new HashedPassword(expected, SALT), PUBLIC)).isTrue();
    assertThat(hashing.check(new HashedPassword(expected, SALT), "publix".getBytes(UTF_8)))
        .isFalse();
  }

  @ParameterizedTest
  @EnumSource(value = MacFun.class, names = {"SHA", "SHA256", "SHA512"})
  void pbkdf2AgreesWithTheJdkAndRoundTrips(MacFun mac) throws Exception {
    Pbkdf2 hashing = new Pbkdf2(mac, 2048);
    HashedPassword stored = hashing.hash(PUBLIC);

    String jdkName = "PBKDF2WithHmac" + switch (mac) {
      case SHA -> "SHA1";
      case SHA256 -> "SHA256";
      default -> "SHA512";
    };
    byte[] jdk = SecretKeyFactory.getInstance(jdkName).generateSecret(new PBEKeySpec(
        "public".toCharArray(), stored.salt().getBytes(UTF_8), 2048, mac.outputBytes() * 8))
        .getEncoded();
    assertThat(stored.passwordHash()).isEqualTo(HexFormat.of().formatHex(jdk));
    assertThat(hashing.check(stored, PUBLIC)).isTrue();
    assertThat(hashing.check(stored, "x".getBytes(UTF_8))).isFalse();
  }

  @Test
  void pbkdf2RejectsBadParametersNamingTheKey() {
    assertThatThrownBy(() -> new Pbkdf2(MacFun.SHA256, 0))
        .hasMessageContaining("password_hash_algorithm.iterations");
    assertThatThrownBy(() -> new Pbkdf2(MacFun.SHA256, 1, -1))
        .hasMessageContaining("password_hash_algorithm.dk_length");
    assertThatThrownBy(() -> MacFun.fromConfig("sha3"))
        .hasMessageContaining("password_hash_algorithm.mac_fun")
        .hasMessageContaining("sha256");
  }

  /** The OpenWall crypt_blowfish test vectors (also used by OpenBSD and jBCrypt). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW | U*U",
      "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK | U*U*",
      "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a | U*U*U",
  })
  void bcryptMatchesKnownVectors(String hash, String password) {
    Bcrypt bcrypt = new Bcrypt(5);
    assertThat(bcrypt.check(new HashedPassword(hash, hash), password.getBytes(UTF_8))).isTrue();
    assertThat(bcrypt.check(new HashedPassword(hash, hash), "U*".getBytes(UTF_8))).isFalse();
  }

  @Test
  void bcryptRoundTripsWithEmqxsStoredShape() {
    Bcrypt bcrypt = new Bcrypt(5);
    HashedPassword stored = bcrypt.hash(PUBLIC);

    assertThat(stored.passwordHash()).startsWith("$2b$05$").hasSize(60);
    assertThat(stored.salt()).isEqualTo(stored.passwordHash());
    assertThat(bcrypt.check(stored, PUBLIC)).isTrue();
    assertThat(bcrypt.check(stored, "publiC".getBytes(UTF_8))).isFalse();
    // A stored cost other than the configured one still verifies: the hash carries its cost.
    assertThat(new Bcrypt(6).check(stored, PUBLIC)).isTrue();
  }

  @Test
  void bcryptUsesTheFirst72BytesAndRefusesMalformedHashes() {
    Bcrypt bcrypt = new Bcrypt(5);
    byte[] long1 = new byte[80];
    Arrays.fill(long1, (byte) 'a');
    byte[] long2 = long1.clone();
    long2[79] = 'b';
    HashedPassword stored = bcrypt.hash(long1);

    assertThat(bcrypt.check(stored, long2)).isTrue();
    assertThat(bcrypt.check(new HashedPassword("not-a-bcrypt-hash", ""), PUBLIC)).isFalse();
    assertThat(bcrypt.check(new HashedPassword("$2b$10$tooshort", ""), PUBLIC)).isFalse();
    assertThat(bcrypt.check(new HashedPassword("", ""), PUBLIC)).isFalse();
    assertThat(bcrypt.check(new HashedPassword(
        "$2b$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ""), PUBLIC)).isFalse();
    assertThatThrownBy(() -> new Bcrypt(11))
        .hasMessageContaining("password_hash_algorithm.salt_rounds");
  }

  @Test
  void constantTimeEqualsComparesWholeValues() {
    assertThat(ConstantTime.equals("abc", "abc")).isTrue();
    assertThat(ConstantTime.equals("abc", "abd")).isFalse();
    assertThat(ConstantTime.equals("abc", "abcd")).isFalse();
    assertThat(ConstantTime.equals((String) null, "a")).isFalse();
    assertThat(ConstantTime.equals(new byte[] {1, 2}, new byte[] {1, 2})).isTrue();
  }

  @Test
  void hashedPasswordNeverPrintsItsContent() {
    HashedPassword stored = new HashedPassword("deadbeef", "s4lt");
    assertThat(stored.toString()).doesNotContain("deadbeef").doesNotContain("s4lt");
    assertThat(new UserRecord("u", stored, true).toString()).doesNotContain("deadbeef");
  }

  @Test
  void unknownAlgorithmNamesListTheAcceptedOnes() {
    assertThatThrownBy(() -> SimpleAlgorithm.fromConfig("sha1"))
        .hasMessage("password_hash_algorithm.name: unknown value 'sha1'; use one of"
            + " plain | md5 | sha | sha256 | sha512");
    assertThat(SaltPosition.fromConfig("suffix")).isEqualTo(SaltPosition.SUFFIX);
  }
}

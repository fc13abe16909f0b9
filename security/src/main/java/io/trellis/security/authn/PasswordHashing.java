package io.trellis.security.authn;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.MD4Digest;
import org.bouncycastle.crypto.digests.MD5Digest;
import org.bouncycastle.crypto.digests.RIPEMD160Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA224Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * EMQX's password hashing ({@code password_hash_algorithm}), byte for byte as
 * {@code emqx_passwd} does it, so users exported from EMQX log in unchanged.
 *
 * <ul>
 *   <li>{@code plain | md5 | sha | sha256 | sha512} with {@code salt_position = prefix | suffix |
 *       disable}: hash of {@code salt ‖ password} (prefix) or {@code password ‖ salt} (suffix),
 *       lower-case hex ({@code plain}: the bytes themselves). EMQX's default: sha256 + prefix.
 *   <li>{@code bcrypt}: the stored hash is the full {@code $2b$NN$...} string; {@code salt_rounds}
 *       5..10 (default 10) when creating users.
 *   <li>{@code pbkdf2}: {@code mac_fun}, {@code iterations}, optional {@code dk_length} (default:
 *       the MAC's output size), lower-case hex of the derived key.
 * </ul>
 *
 * <p>The salt is used as its UTF-8 bytes (EMQX generates 32 hex characters and uses that text).
 * Every check compares in constant time. Stored hex hashes are compared case-insensitively (EMQX is
 * case-sensitive; upper-case hex exported from other databases would otherwise never match). Nothing
 * here logs or puts a password, hash or salt into an exception message.
 */
public sealed interface PasswordHashing
    permits PasswordHashing.Simple, PasswordHashing.Bcrypt, PasswordHashing.Pbkdf2 {

  /** Hashes a new password with a fresh random salt, for creating or updating a user. */
  HashedPassword hash(byte[] password);

  /** True when {@code password} matches {@code stored}; false for a null password. */
  boolean check(HashedPassword stored, byte[] password);

  /** EMQX's default: sha256 with the salt as prefix. */
  static PasswordHashing emqxDefault() {
    return new Simple(SimpleAlgorithm.SHA256, SaltPosition.PREFIX);
  }

  /** The hash functions of the simple algorithms, by their EMQX names. */
  enum SimpleAlgorithm {
    PLAIN(null), MD5("MD5"), SHA("SHA-1"), SHA256("SHA-256"), SHA512("SHA-512");

    private final String jdkName;

    SimpleAlgorithm(String jdkName) {
      this.jdkName = jdkName;
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static SimpleAlgorithm fromConfig(String name) {
      return ConfigNames.parse(SimpleAlgorithm.class, name, "password_hash_algorithm.name");
    }
  }

  /** Where the salt goes relative to the password, by EMQX's names. */
  enum SaltPosition {
    DISABLE, PREFIX, SUFFIX;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static SaltPosition fromConfig(String name) {
      return ConfigNames.parse(SaltPosition.class, name, "password_hash_algorithm.salt_position");
    }
  }

  /** PBKDF2's HMAC hash functions, by EMQX's names. */
  enum MacFun {
    MD4(MD4Digest::new), MD5(MD5Digest::new), RIPEMD160(RIPEMD160Digest::new),
    SHA(SHA1Digest::new), SHA224(SHA224Digest::new), SHA256(SHA256Digest::new),
    SHA384(SHA384Digest::new), SHA512(SHA512Digest::new);

    private final Supplier<Digest> digest;

    MacFun(Supplier<Digest> digest) {
      this.digest = digest;
    }

    public int outputBytes() {
      return digest.get().getDigestSize();
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static MacFun fromConfig(String name) {
      return ConfigNames.parse(MacFun.class, name, "password_hash_algorithm.mac_fun");
    }
  }

  /** {@code plain | md5 | sha | sha256 | sha512} with a salt position. */
  record Simple(SimpleAlgorithm algorithm, SaltPosition saltPosition) implements PasswordHashing {

    public Simple {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(saltPosition, "saltPosition");
    }

    /** The stored form of {@code password} with {@code salt}, exactly as EMQX computes it. */
    public String hash(byte[] password, String salt) {
      return new String(digest(password, salt), StandardCharsets.UTF_8);
    }

    @Override
    public HashedPassword hash(byte[] password) {
      Objects.requireNonNull(password, "password");
      // As EMQX: plain never gets a generated salt, and neither does salt_position = disable.
      String salt = algorithm == SimpleAlgorithm.PLAIN || saltPosition == SaltPosition.DISABLE
          ? "" : Salts.hex16();
      return new HashedPassword(hash(password, salt), salt);
    }

    @Override
    public boolean check(HashedPassword stored, byte[] password) {
      if (stored == null || password == null) {
        return false;
      }
      byte[] expected = stored.passwordHash().getBytes(StandardCharsets.UTF_8);
      if (algorithm != SimpleAlgorithm.PLAIN) {
        expected = stored.passwordHash().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
      }
      return ConstantTime.equals(digest(password, stored.salt()), expected);
    }

    private byte[] digest(byte[] password, String salt) {
      byte[] saltBytes = salt == null ? new byte[0] : salt.getBytes(StandardCharsets.UTF_8);
      byte[] input = switch (saltPosition) {
        case DISABLE -> password.clone();
        case PREFIX -> concat(saltBytes, password);
        case SUFFIX -> concat(password, saltBytes);
      };
      if (algorithm == SimpleAlgorithm.PLAIN) {
        return input;
      }
      try {
        byte[] hash = MessageDigest.getInstance(algorithm.jdkName).digest(input);
        return HexFormat.of().formatHex(hash).getBytes(StandardCharsets.US_ASCII);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK lacks " + algorithm.jdkName, e);
      } finally {
        Arrays.fill(input, (byte) 0);
      }
    }

    private static byte[] concat(byte[] a, byte[] b) {
      byte[] out = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, out, a.length, b.length);
      return out;
    }
  }

  /** bcrypt through BouncyCastle's {@link OpenBSDBCrypt}; {@code saltRounds} is the cost. */
  record Bcrypt(int saltRounds) implements PasswordHashing {

    public static final int MIN_ROUNDS = 5;
    public static final int MAX_ROUNDS = 10;
    public static final int DEFAULT_ROUNDS = 10;

    public Bcrypt {
      if (saltRounds < MIN_ROUNDS || saltRounds > MAX_ROUNDS) {
        throw new IllegalArgumentException("password_hash_algorithm.salt_rounds must be between "
            + MIN_ROUNDS + " and " + MAX_ROUNDS + " (EMQX's range), got " + saltRounds);
      }
    }

    public Bcrypt() {
      this(DEFAULT_ROUNDS);
    }

    @Override
    public HashedPassword hash(byte[] password) {
      Objects.requireNonNull(password, "password");
      byte[] salt = new byte[16];
      Salts.RANDOM.nextBytes(salt);
      String hash = OpenBSDBCrypt.generate("2b", bcryptInput(password), salt, saltRounds);
      // As EMQX: the salt column holds the whole hash (it carries the salt and the cost).
      return new HashedPassword(hash, hash);
    }

    @Override
    public boolean check(HashedPassword stored, byte[] password) {
      if (stored == null || password == null) {
        return false;
      }
      try {
        // checkPassword re-hashes with the stored salt and cost and compares in constant time.
        return OpenBSDBCrypt.checkPassword(stored.passwordHash(), bcryptInput(password));
      } catch (RuntimeException e) {
        // A malformed stored hash (BouncyCastle throws IllegalArgumentException,
        // DataLengthException or index errors): a refusal, and no detail that could leak it.
        return false;
      }
    }

    /** bcrypt reads at most 72 bytes; BouncyCastle refuses longer input, OpenBSD truncates. */
    private static byte[] bcryptInput(byte[] password) {
      return password.length > 72 ? Arrays.copyOf(password, 72) : password;
    }
  }

  /** PBKDF2 over an HMAC; {@code dkLength} 0 means the MAC's output size (EMQX's default). */
  record Pbkdf2(MacFun macFun, int iterations, int dkLength) implements PasswordHashing {

    public static final int MAX_DK_LENGTH = 1024;

    public Pbkdf2 {
      Objects.requireNonNull(macFun, "macFun");
      if (iterations < 1) {
        throw new IllegalArgumentException(
            "password_hash_algorithm.iterations must be a positive integer, got " + iterations);
      }
      if (dkLength < 0 || dkLength > MAX_DK_LENGTH) {
        throw new IllegalArgumentException("password_hash_algorithm.dk_length must be between 1"
            + " and " + MAX_DK_LENGTH + " bytes (or unset for the MAC's output size), got "
            + dkLength);
      }
    }

    public Pbkdf2(MacFun macFun, int iterations) {
      this(macFun, iterations, 0);
    }

    public int effectiveDkLength() {
      return dkLength == 0 ? macFun.outputBytes() : dkLength;
    }

    /** The lower-case hex derived key, exactly as EMQX stores it. */
    public String hash(byte[] password, String salt) {
      PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(macFun.digest.get());
      generator.init(password, salt.getBytes(StandardCharsets.UTF_8), iterations);
      byte[] key = ((KeyParameter) generator.generateDerivedParameters(effectiveDkLength() * 8))
          .getKey();
      try {
        return HexFormat.of().formatHex(key);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    }

    @Override
    public HashedPassword hash(byte[] password) {
      Objects.requireNonNull(password, "password");
      String salt = Salts.hex16();
      return new HashedPassword(hash(password, salt), salt);
    }

    @Override
    public boolean check(HashedPassword stored, byte[] password) {
      if (stored == null || password == null) {
        return false;
      }
      return ConstantTime.equals(hash(password, stored.salt()),
          stored.passwordHash().toLowerCase(Locale.ROOT));
    }
  }
}

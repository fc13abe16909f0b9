package io.trellis.jmh.auth;

import io.trellis.security.authn.HashedPassword;
import io.trellis.security.authn.PasswordHashing;
import io.trellis.security.authz.AclFile;
import io.trellis.security.authz.AuthzAction;
import io.trellis.security.authz.AuthzClient;
import io.trellis.security.authz.Authorizer;
import io.trellis.security.authz.AuthzResult;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What authentication and authorization cost per operation: one password check at CONNECT with
 * EMQX's default hashing (sha256, salt prefix) and with bcrypt at EMQX's default cost (10), and one
 * ACL check per PUBLISH against the shipped etc/acl.conf (no cache, so the rules are walked every
 * time), beside a trivially allowing authorizer as the "no ACL" baseline.
 *
 * <p>Run from the repository root (the ACL file is read from {@code etc/acl.conf}, or from the
 * {@code trellis.acl} system property): {@code java -jar jmh/target/benchmarks.jar AuthBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class AuthBenchmark {

  private static final byte[] PASSWORD = "correct-horse-battery".getBytes(StandardCharsets.UTF_8);

  private PasswordHashing sha256;
  private HashedPassword sha256Stored;
  private PasswordHashing bcrypt;
  private HashedPassword bcryptStored;
  private Authorizer shippedAcl;
  private Authorizer allowAll;
  private AuthzClient client;
  private AuthzAction publish;

  @Setup
  public void setUp() throws Exception {
    sha256 = PasswordHashing.emqxDefault();
    sha256Stored = sha256.hash(PASSWORD);
    bcrypt = new PasswordHashing.Bcrypt(PasswordHashing.Bcrypt.DEFAULT_ROUNDS);
    bcryptStored = bcrypt.hash(PASSWORD);
    Path acl = Path.of(System.getProperty("trellis.acl", "etc/acl.conf"));
    shippedAcl = new Authorizer(List.of(AclFile.parse(acl.toString(), Files.readString(acl))));
    allowAll = new Authorizer(List.of(), AuthzResult.ALLOW, Authorizer.DenyAction.IGNORE);
    client = new AuthzClient("sensor-42", "alice", InetAddress.getByName("192.0.2.7"), false);
    publish = AuthzAction.publish(1, false);
  }

  @Benchmark
  public boolean verifySha256() {
    return sha256.check(sha256Stored, PASSWORD);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public boolean verifyBcrypt10() {
    return bcrypt.check(bcryptStored, PASSWORD);
  }

  @Benchmark
  public AuthzResult publishCheckShippedAcl() {
    return shippedAcl.authorize(client, publish, "factory/line-3/sensor-42/temperature");
  }

  /**
   * The same check through the asynchronous form the MQTT connection uses: with sources that
   * answer at once it must cost what the synchronous one does and allocate nothing more
   * ({@code -prof gc}).
   */
  @Benchmark
  public AuthzResult publishCheckShippedAclAsync() {
    return shippedAcl.authorizeAsync(client, publish, "factory/line-3/sensor-42/temperature").join();
  }

  @Benchmark
  public AuthzResult publishCheckNoAcl() {
    return allowAll.authorize(client, publish, "factory/line-3/sensor-42/temperature");
  }
}

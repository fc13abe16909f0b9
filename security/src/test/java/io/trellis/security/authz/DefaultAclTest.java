package io.trellis.security.authz;

import static io.trellis.security.authz.AclMatchTest.action;
import static io.trellis.security.authz.AclMatchTest.client;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shipped etc/acl.conf behaves as EMQX 6's defaults, without the localhost rule. */
class DefaultAclTest {

  private static Authorizer authorizer;

  @BeforeAll
  static void load() throws Exception {
    // Tests run in the security module's directory; the file lives at the repository's etc/.
    Path file = Path.of("..", "etc", "acl.conf");
    assertThat(Files.isRegularFile(file)).as("etc/acl.conf exists").isTrue();
    authorizer = new Authorizer(java.util.List.of(AclFile.load(file)));
  }

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(delimiter = '|', value = {
      "c/dashboard/10.0.0.1 | sub0 | $SYS/#              | ALLOW",
      "c/dashboard/10.0.0.1 | sub0 | $SYS/brokers/+      | ALLOW",
      "c/dashboard/10.0.0.1 | sub0 | #                   | DENY",
      "c/dashboards/-       | sub0 | $SYS/#              | DENY",
      "c/alice/10.0.0.1     | sub0 | $SYS/#              | DENY",
      "c/alice/10.0.0.1     | sub1 | $SYS/brokers/+/uptime | DENY",
      "c/alice/10.0.0.1     | sub0 | #                   | DENY",
      "c/alice/10.0.0.1     | sub0 | +/#                 | DENY",
      "c/-/-                | sub0 | #                   | DENY",
      // localhost gets no exception (EMQX's default would allow these two)
      "c/alice/127.0.0.1    | sub0 | #                   | DENY",
      "c/-/127.0.0.1        | sub0 | $SYS/#              | DENY",
      "c/-/::1              | sub0 | #                   | DENY",
      // a shared subscription is authorized as its real filter
      "c/alice/10.0.0.1     | sub0 | $share/g/#          | DENY",
      "c/alice/10.0.0.1     | sub0 | $share/g/+/#        | DENY",
      "c/alice/10.0.0.1     | sub0 | $share/g/$SYS/#     | DENY",
      "c/dashboard/-        | sub0 | $share/g/$SYS/#     | ALLOW",
      "c/alice/10.0.0.1     | sub0 | $share/g/t/#        | ALLOW",
      "c/alice/10.0.0.1     | sub0 | $share/g            | DENY",
      "c/alice/10.0.0.1     | sub0 | $share//t           | DENY",
      "c/alice/10.0.0.1     | sub0 | $queue/#            | DENY",
      "c/alice/10.0.0.1     | sub0 | $queue/$SYS/#       | DENY",
      "c/alice/10.0.0.1     | sub0 | $queue/             | DENY",
      "c/alice/10.0.0.1     | sub0 | $queue/t/#          | ALLOW",
      "c/alice/10.0.0.1     | pub0 | $queue/x            | ALLOW",
      // everything else is allowed
      "c/alice/10.0.0.1     | sub0 | t/#                 | ALLOW",
      "c/alice/10.0.0.1     | sub2 | +/+/#               | ALLOW",
      "c/alice/10.0.0.1     | pub1 | sensors/1/temp      | ALLOW",
      "c/-/-                | pub0r | any/topic          | ALLOW",
  })
  void defaultRules(String client, String action, String topic, AuthzResult expected)
      throws Exception {
    assertThat(authorizer.authorize(client(client), action(action), topic.trim()))
        .isEqualTo(expected);
  }
}

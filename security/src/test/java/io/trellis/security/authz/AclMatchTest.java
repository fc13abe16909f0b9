package io.trellis.security.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The matcher over a table of (rule, who, action, topic) cases. */
class AclMatchTest {

  /**
   * client: {@code clientid/username/ip} ({@code -} for no username or address); action:
   * {@code pub0}, {@code pub1r} (QoS 1, retained), {@code sub2}, ...
   */
  @ParameterizedTest(name = "{0} | {1} {2} {3} -> {4}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // who
      "{allow, all, all, [\"t\"]}                                  | c/u/1.2.3.4 | pub0 | t      | ALLOW",
      "{allow, {username, \"u\"}, all, [\"t\"]}                    | c/u/-       | pub0 | t      | ALLOW",
      "{allow, {username, \"u\"}, all, [\"t\"]}                    | c/v/-       | pub0 | t      | NOMATCH",
      "{allow, {username, \"u\"}, all, [\"t\"]}                    | c/-/-       | pub0 | t      | NOMATCH",
      "{allow, {user, \"u\"}, all, [\"t\"]}                        | c/u/-       | pub0 | t      | ALLOW",
      "{deny, {clientid, \"c\"}, all, [\"t\"]}                     | c/u/-       | pub0 | t      | DENY",
      "{deny, {client, \"c\"}, all, [\"t\"]}                       | d/u/-       | pub0 | t      | NOMATCH",
      "{allow, {clientid, {re, \"^sensor-\"}}, all, [\"t\"]}       | sensor-1/-/- | pub0 | t     | ALLOW",
      "{allow, {clientid, {re, \"^sensor-\"}}, all, [\"t\"]}       | my-sensor-1/-/- | pub0 | t  | NOMATCH",
      "{allow, {username, {re, \"dash\"}}, all, [\"t\"]}          | c/mydashboard/- | pub0 | t  | ALLOW",
      "{allow, {ipaddr, \"127.0.0.1\"}, all, [\"t\"]}              | c/u/127.0.0.1 | pub0 | t    | ALLOW",
      "{allow, {ipaddr, \"127.0.0.1\"}, all, [\"t\"]}              | c/u/127.0.0.2 | pub0 | t    | NOMATCH",
      "{allow, {ipaddr, \"127.0.0.1\"}, all, [\"t\"]}              | c/u/-       | pub0 | t      | NOMATCH",
      "{allow, {ipaddr, \"10.1.2.3/8\"}, all, [\"t\"]}             | c/u/10.200.0.1 | pub0 | t   | ALLOW",
      "{allow, {ipaddrs, [\"192.168.0.0/16\", \"fd00::/8\"]}, all, [\"t\"]} | c/u/fd00::1 | pub0 | t | ALLOW",
      "{allow, {ipaddrs, [\"192.168.0.0/16\", \"fd00::/8\"]}, all, [\"t\"]} | c/u/192.168.9.9 | pub0 | t | ALLOW",
      "{allow, {ipaddrs, [\"192.168.0.0/16\", \"fd00::/8\"]}, all, [\"t\"]} | c/u/10.0.0.1 | pub0 | t | NOMATCH",
      "{allow, {ipaddr, \"127.0.0.0/8\"}, all, [\"t\"]}            | c/u/::ffff:127.0.0.5 | pub0 | t | ALLOW",
      "{allow, {'and', [{username, \"u\"}, {ipaddr, \"127.0.0.1\"}]}, all, [\"t\"]} | c/u/127.0.0.1 | pub0 | t | ALLOW",
      "{allow, {'and', [{username, \"u\"}, {ipaddr, \"127.0.0.1\"}]}, all, [\"t\"]} | c/u/10.0.0.1  | pub0 | t | NOMATCH",
      "{allow, {'or', [{username, \"x\"}, {clientid, \"c\"}]}, all, [\"t\"]} | c/u/- | pub0 | t | ALLOW",
      "{allow, {'or', [{username, \"x\"}, {clientid, \"y\"}]}, all, [\"t\"]} | c/u/- | pub0 | t | NOMATCH",
      // action
      "{allow, all, publish, [\"t\"]}                              | c/u/-       | pub0 | t      | ALLOW",
      "{allow, all, publish, [\"t\"]}                              | c/u/-       | sub0 | t      | NOMATCH",
      "{allow, all, subscribe, [\"t\"]}                            | c/u/-       | sub1 | t      | ALLOW",
      "{allow, all, subscribe, [\"t\"]}                            | c/u/-       | pub1 | t      | NOMATCH",
      "{allow, all, {publish, [{qos, 1}]}, [\"t\"]}                | c/u/-       | pub1 | t      | ALLOW",
      "{allow, all, {publish, [{qos, 1}]}, [\"t\"]}                | c/u/-       | pub2 | t      | NOMATCH",
      "{allow, all, {publish, [{qos, [0, 1]}]}, [\"t\"]}           | c/u/-       | pub0 | t      | ALLOW",
      "{deny, all, {publish, [{retain, true}]}, [\"t\"]}           | c/u/-       | pub0r | t     | DENY",
      "{deny, all, {publish, [{retain, true}]}, [\"t\"]}           | c/u/-       | pub0 | t      | NOMATCH",
      "{deny, all, {all, [{retain, true}]}, [\"t\"]}               | c/u/-       | sub0 | t      | DENY",
      "{allow, all, {subscribe, [{qos, 0}]}, [\"t\"]}              | c/u/-       | sub2 | t      | NOMATCH",
      // topics
      "{allow, all, all, [\"t/#\"]}                                | c/u/-       | sub0 | t/a/+  | ALLOW",
      "{allow, all, all, [\"t/+\"]}                                | c/u/-       | sub0 | t/#    | NOMATCH",
      "{allow, all, all, [\"t/+\"]}                                | c/u/-       | pub0 | t/x    | ALLOW",
      "{deny, all, all, [{eq, \"#\"}]}                             | c/u/-       | sub0 | #      | DENY",
      "{deny, all, all, [{eq, \"#\"}]}                             | c/u/-       | sub0 | t/#    | NOMATCH",
      "{deny, all, all, [\"eq #\"]}                               | c/u/-       | sub0 | #      | DENY",
      "{deny, all, all, [\"eq #\"]}                               | c/u/-       | sub0 | t/#    | NOMATCH",
      "{deny, all, all, [{eq, \"t/#\"}]}                           | c/u/-       | sub0 | t/a    | NOMATCH",
      "{allow, all, all, [\"users/${username}/#\"]}               | c/bob/-     | pub0 | users/bob/x | ALLOW",
      "{allow, all, all, [\"users/${username}/#\"]}               | c/bob/-     | pub0 | users/eve/x | NOMATCH",
      "{allow, all, all, [\"users/${username}/#\"]}               | c/-/-       | pub0 | users/x     | NOMATCH",
      "{allow, all, all, [\"c/${clientid}\"]}                      | dev1/-/-    | pub0 | c/dev1 | ALLOW",
      "{allow, all, all, [\"c/${clientid}-in\"]}                   | dev1/-/-    | pub0 | c/dev1-in | ALLOW",
      // a username that is a wildcard stays literal
      "{allow, all, all, [\"users/${username}\"]}                 | c/+/-       | sub0 | users/+ | NOMATCH",
      "{allow, all, all, [\"users/${username}\"]}                 | c/+/-       | pub0 | users/bob | NOMATCH",
      "{allow, all, all, [\"users/${username}/#\"]}               | c/#/-       | sub0 | users/# | NOMATCH",
      "{allow, all, all, [\"users/${username}/x\"]}               | c/#/-       | sub0 | users/a/x | NOMATCH",
      "{allow, all, all, [\"users/${username}\"]}                 | c/a/b/-     | pub0 | users/a/b | NOMATCH",
      "{allow, all, all, [\"users/${username}\"]}                 | dev/${clientid}/- | pub0 | users/${clientid} | ALLOW",
      "{allow, all, all, [\"a\", \"b\"]}                           | c/u/-       | pub0 | b      | ALLOW",
      "{allow, all, all, []}                                       | c/u/-       | pub0 | b      | NOMATCH",
      // two-element rules match everything
      "{deny, all}                                                 | c/u/1.2.3.4 | sub2 | $SYS/# | DENY",
  })
  void ruleMatches(String rule, String client, String action, String topic, AuthzResult expected)
      throws Exception {
    AclFile file = AclFile.parse("acl.conf", rule + ".");
    assertThat(file.authorize(client(client), action(action), topic)).isEqualTo(expected);
  }

  static AuthzClient client(String spec) throws UnknownHostException {
    // clientid/username/ip: the username is everything between the first and the last '/'.
    String s = spec.trim();
    String clientId = s.substring(0, s.indexOf('/'));
    String username = s.substring(s.indexOf('/') + 1, s.lastIndexOf('/'));
    String ip = s.substring(s.lastIndexOf('/') + 1);
    InetAddress address = ip.equals("-") ? null : InetAddress.getByName(ip);
    return new AuthzClient(clientId, username.equals("-") ? null : username, address, false);
  }

  static AuthzAction action(String spec) {
    String s = spec.trim();
    int qos = s.charAt(3) - '0';
    return s.startsWith("pub") ? AuthzAction.publish(qos, s.endsWith("r")) : AuthzAction.subscribe(qos);
  }
}

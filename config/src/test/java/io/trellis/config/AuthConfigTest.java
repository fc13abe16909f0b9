package io.trellis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** authentication / authorization: lists of objects validated per element, errors naming the index. */
class AuthConfigTest {

    private static TrellisConfig parse(String hocon) throws ConfigException {
        return TrellisConfig.parse(hocon, "test.conf", Map.of());
    }

    private static List<String> problems(String hocon) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(hocon));
        assertThat(e).as("expected a ConfigException").isNotNull();
        return e.problems();
    }

    @Test
    void defaultsAreAnonymousAndNoAuthorization() throws Exception {
        TrellisConfig c = TrellisConfig.defaults();
        assertThat(c.get(Keys.AUTHENTICATION)).isEmpty();
        assertThat(c.get(Keys.AUTHZ_SOURCES)).isEmpty();
        assertThat(c.get(Keys.AUTHZ_NO_MATCH)).isEqualTo("deny");
        assertThat(c.get(Keys.AUTHZ_CACHE_TTL)).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.get(Keys.MQTT_PEER_CERT_AS_USERNAME)).isEqualTo("disabled");
        assertThat(c.get(Keys.TCP_ENABLE_AUTHN, "default")).isTrue();
    }

    @Test
    void emqxShapedChainParsesWithDefaultsFilledIn() throws Exception {
        TrellisConfig c = parse("""
                authentication = [
                  { mechanism = password_based, backend = built_in_database, user_id_type = username,
                    password_hash_algorithm { name = sha256, salt_position = prefix } },
                  { mechanism = jwt, secret = "hush", verify_claims { username = "${username}" } },
                  { mechanism = password_based, backend = http, url = "http://127.0.0.1:8080/auth",
                    headers { "content-type" = "application/json" } }
                ]
                authorization { sources = [ {type = file, path = "etc/acl.conf"}, {type = built_in_database} ]
                  no_match = allow, deny_action = disconnect, cache { enable = true, max_size = 64, ttl = 2m } }
                """);
        List<ConfigItem> chain = c.get(Keys.AUTHENTICATION);
        assertThat(chain).extracting(ConfigItem::kind)
                .containsExactly("password_based:built_in_database", "jwt", "password_based:http");
        assertThat(chain.get(0).string("password_hash_algorithm.name")).isEqualTo("sha256");
        assertThat(chain.get(0).<Integer>get("password_hash_algorithm.salt_rounds")).isEqualTo(10);
        assertThat(chain.get(0).bool("enable")).isTrue();
        assertThat(chain.get(1).map("verify_claims")).containsEntry("username", "${username}");
        assertThat(chain.get(1).toString()).doesNotContain("hush");
        assertThat(chain.get(2).map("headers")).containsEntry("content-type", "application/json");
        assertThat(chain.get(2).<Duration>get("request_timeout")).isEqualTo(Duration.ofSeconds(5));
        List<ConfigItem> sources = c.get(Keys.AUTHZ_SOURCES);
        assertThat(sources).extracting(ConfigItem::kind).containsExactly("file", "built_in_database");
        assertThat(sources.get(0).<Path>get("path")).isEqualTo(Path.of("etc/acl.conf"));
        assertThat(c.get(Keys.AUTHZ_CACHE_MAX_SIZE)).isEqualTo(64);
    }

    @Test
    void errorsNameTheElementByIndex() {
        assertThat(problems("""
                authentication = [
                  { mechanism = password_based, backend = built_in_database },
                  { mechanism = password_based, backend = built_in_database, password_hash_algorithm.name = md6 }
                ]
                """)).singleElement().asString()
                .contains("authentication[1].password_hash_algorithm.name: 'md6' is not allowed")
                .contains("sha256");
        assertThat(problems("authentication = [ { mechanism = kerberos } ]")).singleElement().asString()
                .contains("authentication[0].mechanism: 'kerberos' is not known").contains("password_based or jwt");
        assertThat(problems("authentication = [ { mechanism = password_based, backend = ldap } ]"))
                .singleElement().asString().contains("authentication[0].backend: 'ldap' is not known");
        assertThat(problems("authentication = [ { mechanism = password_based, backend = http } ]"))
                .singleElement().asString().contains("authentication[0].url: missing");
        assertThat(problems("authorization.sources = [ {type = file, pathh = x} ]"))
                .singleElement().asString().contains("authorization.sources[0].pathh: unknown field for file");
        assertThat(problems("authentication = [ { mechanism = jwt, secret = \"s3cr3t-value\", algorithm = rsa } ]"))
                .singleElement().asString().doesNotContain("s3cr3t-value").contains("authentication[0].algorithm");
    }
}

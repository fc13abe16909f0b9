package io.trellis.config;

import io.trellis.config.ObjectListType.Field;
import io.trellis.config.ObjectListType.Variant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The element schemas of {@code authentication} and {@code authorization.sources}, with EMQX's
 * field names and defaults. The server turns each {@link ConfigItem} into an authenticator or a
 * source by its {@link ConfigItem#kind()}.
 */
final class AuthSchemas {
    static final String BUILT_IN_DATABASE = "password_based:built_in_database";
    static final String JWT = "jwt";
    static final String HTTP = "password_based:http";

    private AuthSchemas() {
    }

    static ObjectListType authentication() {
        List<Field> builtIn = withEnable(
                field("user_id_type", ValueTypes.oneOf(List.of("username", "clientid")), "username"),
                field("password_hash_algorithm.name",
                        ValueTypes.oneOf(List.of("plain", "md5", "sha", "sha256", "sha512", "bcrypt", "pbkdf2")), "sha256"),
                field("password_hash_algorithm.salt_position", ValueTypes.oneOf(List.of("disable", "prefix", "suffix")), "prefix"),
                field("password_hash_algorithm.salt_rounds", ValueTypes.integer(5, 10), "10"),
                field("password_hash_algorithm.mac_fun", ValueTypes.oneOf(List.of("md4", "md5", "ripemd160", "sha",
                        "sha224", "sha256", "sha384", "sha512")), "sha256"),
                field("password_hash_algorithm.iterations", ValueTypes.integer(1, Integer.MAX_VALUE - 1), "4096"),
                field("password_hash_algorithm.dk_length", ValueTypes.integer(1, 1024), null));
        List<Field> jwt = withEnable(
                field("use_jwks", ValueTypes.bool(), "false"),
                field("algorithm", ValueTypes.oneOf(List.of("hmac-based", "public-key")), "hmac-based"),
                new Field("secret", ValueTypes.secret(), null, false),
                field("secret_base64_encoded", ValueTypes.bool(), "false"),
                field("public_key", text(), null),
                field("endpoint", text(), null),
                field("refresh_interval", ValueTypes.duration(false), "5m"),
                field("from", ValueTypes.oneOf(List.of("username", "password")), "password"),
                field("acl_claim_name", text(), "acl"),
                field("disconnect_after_expire", ValueTypes.bool(), "true"),
                field("verify_claims.*", text(), null));
        List<Field> http = withEnable(httpFields());
        return new ObjectListType(List.of("mechanism", "backend"), List.of(
                new Variant(BUILT_IN_DATABASE, Map.of("mechanism", "password_based", "backend", "built_in_database"), builtIn),
                new Variant(JWT, Map.of("mechanism", "jwt"), jwt),
                new Variant(HTTP, Map.of("mechanism", "password_based", "backend", "http"), http)));
    }

    static ObjectListType authorizationSources() {
        return new ObjectListType(List.of("type"), List.of(
                new Variant("file", Map.of("type", "file"), withEnable(field("path", ValueTypes.path(), "etc/acl.conf"))),
                new Variant("built_in_database", Map.of("type", "built_in_database"),
                        withEnable(field("max_rules", ValueTypes.integer(1, Integer.MAX_VALUE - 1), "100"))),
                new Variant("http", Map.of("type", "http"), withEnable(httpFields()))));
    }

    private static Field[] httpFields() {
        return new Field[] {
            field("method", ValueTypes.oneOf(List.of("get", "post")), "post"),
            new Field("url", ValueTypes.string(Pattern.compile("https?://\\S+"), "an http:// or https:// URL"), null, true),
            field("headers.*", text(), null),
            field("body.*", text(), null),
            field("request_timeout", ValueTypes.duration(false), "5s"),
            field("connect_timeout", ValueTypes.duration(false), "15s"),
            field("pool_size", ValueTypes.integer(1, 1024), "8"),
        };
    }

    private static List<Field> withEnable(Field... fields) {
        List<Field> all = new ArrayList<>();
        all.add(field("enable", ValueTypes.bool(), "true"));
        all.addAll(List.of(fields));
        return all;
    }

    private static Field field(String path, ValueType<?> type, String defaultText) {
        return new Field(path, type, defaultText, false);
    }

    private static ValueType<String> text() {
        return ValueTypes.string(null, "text");
    }
}

package io.trellis.server.auth;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.mqtt.auth.BanList;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.security.authn.BuiltInDatabase;
import io.trellis.security.authn.HashedPassword;
import io.trellis.server.conf.ReplicatedKind;
import io.trellis.security.authn.ImportResult;
import io.trellis.security.authn.UserImport;
import io.trellis.security.authn.UserImportException;
import io.trellis.security.authn.UserInfo;
import io.trellis.security.authn.UserRecord;
import io.trellis.server.api.ApiException;
import io.trellis.server.api.ApiRequest;
import io.trellis.server.api.ApiResponse;
import io.trellis.server.api.Router;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EMQX's user and ban endpoints:
 * <ul>
 *   <li>{@code GET/POST /api/v5/authentication/password_based:built_in_database/users} (list with
 *       {@code page}, {@code limit}, {@code like_user_id}; create from {@code user_id},
 *       {@code password}, {@code is_superuser}),
 *   <li>{@code GET/PUT/DELETE .../users/{user_id}},
 *   <li>{@code POST .../import_users?type=hash|plain}: the body is the file itself, a JSON array
 *       (starts with {@code [}) or CSV with a header line, EMQX's export formats; not multipart.
 *       Existing users are replaced (EMQX's import).
 *   <li>{@code GET/POST /api/v5/banned}, {@code DELETE /api/v5/banned/{as}/{who}}.
 * </ul>
 * The authenticator id may also be written URL-encoded ({@code password_based%3Abuilt_in_database}).
 * Answers show user ids and the superuser flag only: never a password, hash or salt. Every change
 * to users is written to disk before the answer.
 *
 * <p>With the cluster config log ({@link #AuthApi(NodeAuth, ObjectMapper, ConfLog)}) every change of
 * users and manual bans goes through it: this node hashes a new password, logs only the hash
 * ({@link UserChanges}, {@link BanChanges}), and answers once the change is applied here; a change
 * the log cannot commit (no majority) answers 503. Lifting a ban that exists only as this node's
 * automatic ban is done here alone.
 */
public final class AuthApi {
    private static final String[] AUTHN_IDS = {"password_based:built_in_database", "password_based%3Abuilt_in_database",
        "password_based%3abuilt_in_database"};

    /** Users per log entry of an import (the log takes entries up to 4 MB). */
    static final int IMPORT_BATCH = 1000;

    private final NodeAuth auth;
    private final ObjectMapper mapper;
    private final ReplicatedKind<UserChanges.UserChange> userChanges;
    private final ReplicatedKind<BanChanges.BanChange> banChanges;

    /**
     * Changes go through {@code log} (null: applied on this node only). Registers the appliers with
     * the log, so make this before {@code log.start}.
     */
    public AuthApi(NodeAuth auth, ObjectMapper mapper, ConfLog log) {
        this.auth = auth;
        this.mapper = mapper;
        UserChanges users = new UserChanges(auth);
        BanChanges bans = new BanChanges(auth);
        if (log == null) {
            userChanges = ReplicatedKind.local(UserChanges.KIND, UserChanges.UserChange.class, users::apply);
            banChanges = ReplicatedKind.local(BanChanges.KIND, BanChanges.BanChange.class, bans::apply);
        } else {
            userChanges = ReplicatedKind.register(log, UserChanges.KIND, UserChanges.UserChange.class, users::apply);
            banChanges = ReplicatedKind.register(log, BanChanges.KIND, BanChanges.BanChange.class, bans::apply);
        }
    }

    /** The endpoints, changes applied on this node only (no cluster config log). */
    public static void register(Router router, NodeAuth auth, ObjectMapper mapper) {
        new AuthApi(auth, mapper, null).register(router);
    }

    public void register(Router router) {
        AuthApi api = this;
        for (String id : AUTHN_IDS) {
            String base = "/api/v5/authentication/" + id;
            router.add(GET, base + "/users", api::listUsers)
                    .add(POST, base + "/users", api::addUser)
                    .add(GET, base + "/users/{user_id}", api::getUser)
                    .add(PUT, base + "/users/{user_id}", api::updateUser)
                    .add(DELETE, base + "/users/{user_id}", api::deleteUser)
                    .add(POST, base + "/import_users", api::importUsers);
        }
        router.add(GET, "/api/v5/banned", api::listBans)
                .add(POST, "/api/v5/banned", api::addBan)
                .add(DELETE, "/api/v5/banned/{as}/{who}", api::deleteBan);
    }

    private BuiltInDatabase db() {
        BuiltInDatabase db = auth.users();
        if (db == null) {
            throw ApiException.notFound("NOT_FOUND", "authenticator password_based:built_in_database is not configured"
                    + " (add {mechanism = password_based, backend = built_in_database} to authentication in trellis.conf)");
        }
        return db;
    }

    private static Map<String, Object> userJson(UserInfo u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user_id", u.userId());
        m.put("is_superuser", u.superuser());
        return m;
    }

    private ApiResponse listUsers(ApiRequest r) {
        int page = r.intParam("page", 1, 1, Integer.MAX_VALUE);
        int limit = r.intParam("limit", 100, 1, 10_000);
        String like = r.queryParam("like_user_id");
        List<UserInfo> all = db().listUsers().stream()
                .filter(u -> like == null || u.userId().contains(like)).toList();
        long skip = (long) (page - 1) * limit;
        List<Map<String, Object>> data = all.stream().skip(skip).limit(limit).map(AuthApi::userJson).toList();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("page", page);
        meta.put("limit", limit);
        meta.put("count", all.size());
        meta.put("hasnext", skip + data.size() < all.size());
        return ApiResponse.ok(Map.of("data", data, "meta", meta));
    }

    private ApiResponse addUser(ApiRequest r) throws IOException {
        JsonNode body = json(r);
        String userId = text(body, "user_id", true);
        String password = text(body, "password", true);
        boolean superuser = body.path("is_superuser").asBoolean(false);
        BuiltInDatabase db = db();
        if (db.lookupUser(userId).isPresent()) {
            throw new ApiException(HttpResponseStatus.CONFLICT, "ALREADY_EXISTS", "user '" + userId + "' already exists; update it instead");
        }
        UserRecord user = new UserRecord(userId, hash(db, password), superuser);
        UserInfo created = (UserInfo) userChanges.submit(UserChanges.add(user));
        return ApiResponse.json(HttpResponseStatus.CREATED, userJson(created));
    }

    private ApiResponse getUser(ApiRequest r) {
        String id = r.pathParam("user_id");
        return ApiResponse.ok(userJson(db().lookupUser(id).orElseThrow(() -> noUser(id))));
    }

    private ApiResponse updateUser(ApiRequest r) throws IOException {
        String id = r.pathParam("user_id");
        JsonNode body = json(r);
        String password = text(body, "password", false);
        Boolean superuser = body.has("is_superuser") ? body.get("is_superuser").asBoolean() : null;
        if (password == null && superuser == null) {
            throw ApiException.badRequest("nothing to change: send password and/or is_superuser");
        }
        BuiltInDatabase db = db();
        if (db.lookupUser(id).isEmpty()) throw noUser(id);
        UserInfo updated = (UserInfo) userChanges.submit(UserChanges.update(id, password == null ? null : hash(db, password), superuser));
        return ApiResponse.ok(userJson(updated));
    }

    private ApiResponse deleteUser(ApiRequest r) throws IOException {
        String id = r.pathParam("user_id");
        if (db().lookupUser(id).isEmpty()) throw noUser(id);
        userChanges.submit(UserChanges.delete(id));
        return ApiResponse.noContent();
    }

    private ApiResponse importUsers(ApiRequest r) throws IOException {
        String type = r.queryParam("type") == null ? "hash" : r.queryParam("type");
        UserImport.PasswordType passwordType;
        try {
            passwordType = UserImport.PasswordType.fromConfig(type);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("type must be hash or plain, got '" + type + "'");
        }
        String content = new String(r.body() == null ? new byte[0] : r.body(), StandardCharsets.UTF_8);
        List<UserRecord> users;
        try {
            users = content.stripLeading().startsWith("[")
                    ? UserImport.parseJson("request body", content, passwordType, db().hashing())
                    : UserImport.parseCsv("request body", content, passwordType, db().hashing());
        } catch (UserImportException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        int[] sums = new int[5];
        for (int from = 0; from < users.size(); from += IMPORT_BATCH) {
            // each batch is one log entry; a batch refused (no majority) stops the import, the earlier ones stay
            ImportResult batch = (ImportResult) userChanges.submit(UserChanges.importing(
                    users.subList(from, Math.min(users.size(), from + IMPORT_BATCH))));
            sums[0] += batch.total();
            sums[1] += batch.success();
            sums[2] += batch.override();
            sums[3] += batch.skipped();
            sums[4] += batch.failed();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", sums[0]);
        m.put("success", sums[1]);
        m.put("override", sums[2]);
        m.put("skipped", sums[3]);
        m.put("failed", sums[4]);
        return ApiResponse.ok(m);
    }

    // ---- banned

    private static Map<String, Object> banJson(BanList.Ban b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("as", b.as().id());
        m.put("who", b.who());
        m.put("by", b.by());
        m.put("reason", b.reason());
        m.put("at", Instant.ofEpochMilli(b.at()).truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("until", b.until() == Long.MAX_VALUE ? "infinity"
                : Instant.ofEpochMilli(b.until()).truncatedTo(ChronoUnit.SECONDS).toString());
        return m;
    }

    private ApiResponse listBans(ApiRequest r) {
        List<Map<String, Object>> data = auth.bans().list().stream().map(AuthApi::banJson).toList();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("page", 1);
        meta.put("limit", data.size());
        meta.put("count", data.size());
        meta.put("hasnext", false);
        return ApiResponse.ok(Map.of("data", data, "meta", meta));
    }

    private ApiResponse addBan(ApiRequest r) {
        JsonNode body = json(r);
        BanList.As as;
        try {
            as = BanList.As.fromName(text(body, "as", true));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        String who = text(body, "who", true);
        long now = auth.bans().now();
        long at = time(body, "at", now);
        long until = time(body, "until", Instant.ofEpochMilli(now).plus(365, ChronoUnit.DAYS).toEpochMilli());
        if (until <= now) throw ApiException.badRequest("until must be in the future");
        String by = text(body, "by", false);
        BanList.Ban ban = new BanList.Ban(as, who, by == null ? "mgmt_api" : by, text(body, "reason", false), at, until);
        return ApiResponse.ok(banJson((BanList.Ban) banChanges.submit(BanChanges.add(ban))));
    }

    private ApiResponse deleteBan(ApiRequest r) {
        BanList.As as;
        try {
            as = BanList.As.fromName(r.pathParam("as"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        String who = r.pathParam("who");
        if (auth.bans().hasManual(as, who)) {
            banChanges.submit(BanChanges.delete(as, who)); // lifts the automatic bans of who on every node too
        } else if (!auth.bans().deleteAutomatic(as, who)) {
            throw ApiException.notFound("NOT_FOUND", "no ban for " + as.id() + " " + who);
        }
        return ApiResponse.noContent();
    }

    // ---- helpers

    private static long time(JsonNode body, String field, long dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (v.isTextual() && v.asText().equals("infinity") && field.equals("until")) return Long.MAX_VALUE;
        try {
            return Instant.parse(v.asText()).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field + " must be an RFC 3339 time such as 2026-01-01T00:00:00Z");
        }
    }

    private JsonNode json(ApiRequest r) {
        try {
            JsonNode n = r.body() == null || r.body().length == 0 ? null : mapper.readTree(r.body());
            if (n == null || !n.isObject()) throw ApiException.badRequest("expected a JSON object body");
            return n;
        } catch (IOException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) throw ApiException.badRequest("missing field " + field);
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw ApiException.badRequest(field + " must be a non-empty string");
        }
        return v.asText();
    }

    private static ApiException noUser(String id) {
        return UserChanges.noUser(id);
    }

    /** Hashed here, on the node that received the password: only the hash goes further. */
    private static HashedPassword hash(BuiltInDatabase db, String password) {
        return db.hashing().hash(password.getBytes(StandardCharsets.UTF_8));
    }
}

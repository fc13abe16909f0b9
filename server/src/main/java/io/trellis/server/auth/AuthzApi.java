package io.trellis.server.auth;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.security.authz.BuiltInRuleSet;
import io.trellis.security.authz.BuiltInRuleSet.Scope;
import io.trellis.server.api.ApiException;
import io.trellis.server.api.ApiRequest;
import io.trellis.server.api.ApiResponse;
import io.trellis.server.api.Router;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EMQX's rules API of the built-in database authorization source, under
 * {@code /api/v5/authorization/sources/built_in_database/rules}:
 * <ul>
 *   <li>{@code GET .../users} (with {@code page}, {@code limit}, {@code like_username}),
 *       {@code POST .../users} with {@code [{"username", "rules"}]} (409 if one exists);
 *   <li>{@code GET/PUT/DELETE .../users/{username}} (PUT body {@code {"username", "rules"}});
 *   <li>the same for {@code .../clients} and {@code .../clients/{clientid}} with {@code clientid};
 *   <li>{@code GET .../all} ({@code {"rules": [...]}}), {@code POST .../all} replaces them,
 *       {@code DELETE .../all} empties them;
 *   <li>{@code DELETE .../rules}: every rule, only while the source is disabled (as EMQX).
 * </ul>
 * A rule is {@code {"permission": "allow"|"deny", "action": "publish"|"subscribe"|"all",
 * "topic", "qos": [0,1,2], "retain": true|false|"all"}}. Changes answer 204 once on disk; a bad
 * rule answers 400 naming the field. 404 when no built_in_database source is configured.
 */
public final class AuthzApi {
    private static final String BASE = "/api/v5/authorization/sources/built_in_database/rules";

    private final NodeAuth auth;
    private final ObjectMapper mapper;

    private AuthzApi(NodeAuth auth, ObjectMapper mapper) {
        this.auth = auth;
        this.mapper = mapper;
    }

    public static void register(Router router, NodeAuth auth, ObjectMapper mapper) {
        AuthzApi api = new AuthzApi(auth, mapper);
        for (Scope scope : List.of(Scope.USERNAME, Scope.CLIENTID)) {
            String path = BASE + (scope == Scope.USERNAME ? "/users" : "/clients");
            String param = "{" + scope.field() + "}";
            router.add(GET, path, r -> api.list(r, scope))
                    .add(POST, path, r -> api.create(r, scope))
                    .add(GET, path + "/" + param, r -> api.get(r, scope))
                    .add(PUT, path + "/" + param, r -> api.put(r, scope))
                    .add(DELETE, path + "/" + param, r -> api.delete(r, scope));
        }
        router.add(GET, BASE + "/all", api::getAll)
                .add(POST, BASE + "/all", api::putAll)
                .add(DELETE, BASE + "/all", api::deleteAll)
                .add(DELETE, BASE, api::purge);
    }

    private AuthzRulesStore store() {
        AuthzRulesStore store = auth.authzRules();
        if (store == null) {
            throw ApiException.notFound("NOT_FOUND", "authorization source built_in_database is not configured"
                    + " (add {type = built_in_database} to authorization.sources in trellis.conf)");
        }
        return store;
    }

    private ApiResponse list(ApiRequest r, Scope scope) {
        int page = r.intParam("page", 1, 1, Integer.MAX_VALUE);
        int limit = r.intParam("limit", 100, 1, 10_000);
        String like = r.queryParam(scope == Scope.USERNAME ? "like_username" : "like_clientid");
        List<BuiltInRuleSet> all = store().database().list(scope).stream()
                .filter(s -> like == null || s.who().contains(like)).toList();
        long skip = (long) (page - 1) * limit;
        List<Map<String, Object>> data = all.stream().skip(skip).limit(limit).map(AuthzRulesStore::setJson).toList();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("page", page);
        meta.put("limit", limit);
        meta.put("count", all.size());
        meta.put("hasnext", skip + data.size() < all.size());
        return ApiResponse.ok(Map.of("data", data, "meta", meta));
    }

    private ApiResponse create(ApiRequest r, Scope scope) throws IOException {
        AuthzRulesStore store = store();
        JsonNode body = json(r);
        if (!body.isArray()) {
            throw ApiException.badRequest("expected a JSON array: [{\"" + scope.field() + "\": ..., \"rules\": [...]}]");
        }
        List<BuiltInRuleSet> sets = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            JsonNode item = body.get(i);
            String where = "[" + i + "]";
            sets.add(parse(() -> AuthzRulesStore.setFromJson(scope, item, where, null)));
        }
        List<String> exist = sets.stream().filter(s -> store.database().get(scope, s.who()).isPresent())
                .map(BuiltInRuleSet::who).toList();
        if (!exist.isEmpty()) {
            throw new ApiException(HttpResponseStatus.CONFLICT, "ALREADY_EXISTS", (scope == Scope.USERNAME ? "users '"
                    : "clients '") + String.join(",", exist) + "' already exist (change them with PUT)");
        }
        for (BuiltInRuleSet s : sets) apply(store, s);
        return ApiResponse.noContent();
    }

    private ApiResponse get(ApiRequest r, Scope scope) {
        String who = r.pathParam(scope.field());
        return ApiResponse.ok(AuthzRulesStore.setJson(store().database().get(scope, who)
                .orElseThrow(() -> notFound(scope, who))));
    }

    private ApiResponse put(ApiRequest r, Scope scope) throws IOException {
        AuthzRulesStore store = store();
        String who = r.pathParam(scope.field());
        JsonNode body = json(r);
        apply(store, parse(() -> AuthzRulesStore.setFromJson(scope, body, "body", who)));
        return ApiResponse.noContent();
    }

    private ApiResponse delete(ApiRequest r, Scope scope) throws IOException {
        AuthzRulesStore store = store();
        String who = r.pathParam(scope.field());
        if (store.database().get(scope, who).isEmpty()) throw notFound(scope, who);
        apply(store, BuiltInRuleSet.removal(scope, who));
        return ApiResponse.noContent();
    }

    private ApiResponse getAll(ApiRequest r) {
        return ApiResponse.ok(AuthzRulesStore.setJson(store().database().get(Scope.ALL, null)
                .orElse(new BuiltInRuleSet(Scope.ALL, null, List.of()))));
    }

    private ApiResponse putAll(ApiRequest r) throws IOException {
        AuthzRulesStore store = store();
        JsonNode body = json(r);
        if (!body.isObject()) throw ApiException.badRequest("expected a JSON object: {\"rules\": [...]}");
        apply(store, parse(() -> new BuiltInRuleSet(Scope.ALL, null, AuthzRulesStore.rulesFromJson(body.get("rules"), "rules"))));
        return ApiResponse.noContent();
    }

    private ApiResponse deleteAll(ApiRequest r) throws IOException {
        apply(store(), new BuiltInRuleSet(Scope.ALL, null, List.of()));
        return ApiResponse.noContent();
    }

    private ApiResponse purge(ApiRequest r) throws IOException {
        AuthzRulesStore store = store();
        if (auth.authzRulesEnabled()) {
            throw ApiException.badRequest("'built_in_database' type source must be disabled before purge"
                    + " (set enable = false on it in authorization.sources and restart)");
        }
        for (BuiltInRuleSet s : store.database().snapshot()) apply(store, BuiltInRuleSet.removal(s.scope(), s.who()));
        return ApiResponse.noContent();
    }

    // ---- helpers

    private static void apply(AuthzRulesStore store, BuiltInRuleSet set) throws IOException {
        try {
            store.apply(set);
        } catch (IllegalArgumentException e) { // max_rules
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private interface Parse<T> {
        T run();
    }

    private static <T> T parse(Parse<T> p) {
        try {
            return p.run();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private JsonNode json(ApiRequest r) {
        try {
            JsonNode n = r.body() == null || r.body().length == 0 ? null : mapper.readTree(r.body());
            if (n == null) throw ApiException.badRequest("expected a JSON body");
            return n;
        } catch (IOException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
    }

    private static ApiException notFound(Scope scope, String who) {
        return ApiException.notFound("NOT_FOUND", "no rules for " + scope.field() + " '" + who + "'");
    }
}

package io.trellis.server.auth;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.security.authz.BuiltInRuleSet;
import io.trellis.security.authz.BuiltInRuleSet.Scope;
import io.trellis.server.api.ApiException;
import io.trellis.server.api.ApiRequest;
import io.trellis.server.api.ApiResponse;
import io.trellis.server.api.Router;
import io.trellis.server.conf.ReplicatedKind;
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
 *
 * <p>With the cluster config log ({@link #AuthzApi(NodeAuth, ObjectMapper, ConfLog)}) every change
 * goes through it ({@link AuthzRuleChanges}): this node checks the body first (nothing bad enters
 * the log), answers once the change is applied here, and every node applies and persists it; a
 * change the log cannot commit (no majority) answers 503. The purge's "source disabled" check is
 * this node's configuration.
 */
public final class AuthzApi {
    private static final String BASE = "/api/v5/authorization/sources/built_in_database/rules";

    private final NodeAuth auth;
    private final ObjectMapper mapper;
    private final ReplicatedKind<AuthzRuleChanges.AuthzRuleChange> changes;

    /**
     * Changes go through {@code log} (null: applied on this node only). Registers the applier with
     * the log, so make this before {@code log.start}.
     */
    public AuthzApi(NodeAuth auth, ObjectMapper mapper, ConfLog log) {
        this.auth = auth;
        this.mapper = mapper;
        AuthzRuleChanges rules = new AuthzRuleChanges(auth);
        changes = log == null
                ? ReplicatedKind.local(AuthzRuleChanges.KIND, AuthzRuleChanges.AuthzRuleChange.class, rules::apply)
                : ReplicatedKind.register(log, AuthzRuleChanges.KIND, AuthzRuleChanges.AuthzRuleChange.class, rules::apply);
    }

    /** The endpoints, changes applied on this node only (no cluster config log). */
    public static void register(Router router, NodeAuth auth, ObjectMapper mapper) {
        new AuthzApi(auth, mapper, null).register(router);
    }

    public void register(Router router) {
        AuthzApi api = this;
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

    private ApiResponse create(ApiRequest r, Scope scope) {
        AuthzRulesStore store = store();
        JsonNode body = json(r);
        if (!body.isArray()) {
            throw ApiException.badRequest("expected a JSON array: [{\"" + scope.field() + "\": ..., \"rules\": [...]}]");
        }
        List<BuiltInRuleSet> sets = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            JsonNode item = body.get(i);
            String where = "[" + i + "]";
            sets.add(checked(store, parse(() -> AuthzRulesStore.setFromJson(scope, item, where, null))));
        }
        // also decided by the applier, in log order; refused here, a duplicate does not enter the log
        List<String> exist = sets.stream().filter(s -> store.database().get(scope, s.who()).isPresent())
                .map(BuiltInRuleSet::who).toList();
        if (!exist.isEmpty()) throw AuthzRuleChanges.alreadyExist(scope, exist);
        if (!sets.isEmpty()) changes.submit(AuthzRuleChanges.create(sets));
        return ApiResponse.noContent();
    }

    private ApiResponse get(ApiRequest r, Scope scope) {
        String who = r.pathParam(scope.field());
        return ApiResponse.ok(AuthzRulesStore.setJson(store().database().get(scope, who)
                .orElseThrow(() -> notFound(scope, who))));
    }

    private ApiResponse put(ApiRequest r, Scope scope) {
        AuthzRulesStore store = store();
        String who = r.pathParam(scope.field());
        JsonNode body = json(r);
        changes.submit(AuthzRuleChanges.put(checked(store, parse(() -> AuthzRulesStore.setFromJson(scope, body, "body", who)))));
        return ApiResponse.noContent();
    }

    private ApiResponse delete(ApiRequest r, Scope scope) {
        AuthzRulesStore store = store();
        String who = r.pathParam(scope.field());
        if (store.database().get(scope, who).isEmpty()) throw notFound(scope, who);
        changes.submit(AuthzRuleChanges.delete(scope, who));
        return ApiResponse.noContent();
    }

    private ApiResponse getAll(ApiRequest r) {
        return ApiResponse.ok(AuthzRulesStore.setJson(store().database().get(Scope.ALL, null)
                .orElse(new BuiltInRuleSet(Scope.ALL, null, List.of()))));
    }

    private ApiResponse putAll(ApiRequest r) {
        AuthzRulesStore store = store();
        JsonNode body = json(r);
        if (!body.isObject()) throw ApiException.badRequest("expected a JSON object: {\"rules\": [...]}");
        changes.submit(AuthzRuleChanges.put(checked(store,
                parse(() -> new BuiltInRuleSet(Scope.ALL, null, AuthzRulesStore.rulesFromJson(body.get("rules"), "rules"))))));
        return ApiResponse.noContent();
    }

    private ApiResponse deleteAll(ApiRequest r) {
        store();
        changes.submit(AuthzRuleChanges.put(new BuiltInRuleSet(Scope.ALL, null, List.of())));
        return ApiResponse.noContent();
    }

    private ApiResponse purge(ApiRequest r) {
        store();
        if (auth.authzRulesEnabled()) {
            throw ApiException.badRequest("'built_in_database' type source must be disabled before purge"
                    + " (set enable = false on it in authorization.sources and restart)");
        }
        changes.submit(AuthzRuleChanges.purge());
        return ApiResponse.noContent();
    }

    // ---- helpers

    /** {@code set} if this node's max_rules takes it; 400 otherwise, before anything is logged. */
    private static BuiltInRuleSet checked(AuthzRulesStore store, BuiltInRuleSet set) {
        try {
            store.database().check(set);
            return set;
        } catch (IllegalArgumentException e) {
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
        return AuthzRuleChanges.notFound(scope, who);
    }
}

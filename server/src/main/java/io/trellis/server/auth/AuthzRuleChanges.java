package io.trellis.server.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.security.authz.BuiltInRuleSet;
import io.trellis.security.authz.BuiltInRuleSet.Scope;
import io.trellis.server.api.ApiException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in database authorization rules as changes of the cluster config log (kind
 * {@value #KIND}), as EMQX keeps them in a cluster-wide table: a rule list set on any node is
 * enforced on every node and persisted on each ({@link AuthzRulesStore}).
 *
 * <p>A change carries whole {@link BuiltInRuleSet}s (a subject's complete list, rules in EMQX's
 * API shape), never a delta, so applying it twice gives the same state. The node that receives
 * the API call checks the body (and its own max_rules) before logging; every node then applies the
 * same change to the same state, so a 404 or 409 decided by the applier is the same everywhere. A
 * node without a built_in_database source still applies the change to its rules file
 * ({@link NodeAuth#changeAuthzRules}), so enabling the source later finds the rules.
 */
public final class AuthzRuleChanges {
    public static final String KIND = "authz_rules";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One change: {@code op} create (409 if a subject has a list already) | put (replace each list)
     * | delete (404 if a subject has no list) | purge (every list; no sets).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AuthzRuleChange(String op, List<RuleSet> sets) {
    }

    /**
     * One subject's whole list: {@code scope} username | clientid | all, {@code who} null for all,
     * {@code rules} EMQX's rule objects; absent removes the subject's list.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RuleSet(String scope, String who, JsonNode rules) {
    }

    static AuthzRuleChange create(List<BuiltInRuleSet> sets) {
        return new AuthzRuleChange("create", sets.stream().map(AuthzRuleChanges::logged).toList());
    }

    static AuthzRuleChange put(BuiltInRuleSet set) {
        return new AuthzRuleChange("put", List.of(logged(set)));
    }

    static AuthzRuleChange delete(Scope scope, String who) {
        return new AuthzRuleChange("delete", List.of(logged(BuiltInRuleSet.removal(scope, who))));
    }

    static AuthzRuleChange purge() {
        return new AuthzRuleChange("purge", null);
    }

    private static RuleSet logged(BuiltInRuleSet s) {
        return new RuleSet(s.scope().field(), s.who(),
                s.isRemoval() ? null : JSON.valueToTree(s.rules().stream().map(AuthzRulesStore::ruleJson).toList()));
    }

    private final NodeAuth auth;

    AuthzRuleChanges(NodeAuth auth) {
        this.auth = auth;
    }

    /** On every node, in log order: the change on the rules, persisted. */
    Object apply(AuthzRuleChange c) throws IOException {
        String op = c.op() == null ? "" : c.op();
        List<BuiltInRuleSet> sets = sets(c);
        return auth.changeAuthzRules(store -> {
            List<BuiltInRuleSet> changes = switch (op) {
                case "create" -> {
                    List<String> exist = sets.stream().filter(s -> store.database().get(s.scope(), s.who()).isPresent())
                            .map(BuiltInRuleSet::who).toList();
                    if (!exist.isEmpty()) throw alreadyExist(sets.get(0).scope(), exist);
                    yield sets;
                }
                case "put" -> sets;
                case "delete" -> {
                    for (BuiltInRuleSet s : sets) {
                        if (store.database().get(s.scope(), s.who()).isEmpty()) throw notFound(s.scope(), s.who());
                    }
                    yield sets.stream().map(s -> BuiltInRuleSet.removal(s.scope(), s.who())).toList();
                }
                case "purge" -> store.database().snapshot().stream()
                        .map(s -> BuiltInRuleSet.removal(s.scope(), s.who())).toList();
                default -> throw new IllegalArgumentException("unknown " + KIND + " change '" + op + "' (made by a newer version?)");
            };
            try {
                store.applyAll(changes);
            } catch (IllegalArgumentException e) { // max_rules of this node
                throw ApiException.badRequest(e.getMessage());
            }
            return Boolean.TRUE;
        });
    }

    private static List<BuiltInRuleSet> sets(AuthzRuleChange c) {
        List<BuiltInRuleSet> out = new ArrayList<>();
        if (c.sets() == null) return out;
        for (int i = 0; i < c.sets().size(); i++) {
            RuleSet s = c.sets().get(i);
            String where = KIND + " change sets[" + i + "]";
            Scope scope = scope(s.scope(), where);
            try {
                out.add(s.rules() == null || s.rules().isNull() ? BuiltInRuleSet.removal(scope, s.who())
                        : new BuiltInRuleSet(scope, s.who(), AuthzRulesStore.rulesFromJson(s.rules(), where + ".rules")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage() + " (made by a newer version?)", e);
            }
        }
        return out;
    }

    private static Scope scope(String field, String where) {
        for (Scope scope : Scope.values()) {
            if (scope.field().equals(field)) return scope;
        }
        throw new IllegalArgumentException(where + ".scope: '" + field + "' is not username, clientid or all"
                + " (made by a newer version?)");
    }

    static ApiException alreadyExist(Scope scope, List<String> who) {
        return new ApiException(HttpResponseStatus.CONFLICT, "ALREADY_EXISTS", (scope == Scope.USERNAME ? "users '"
                : "clients '") + String.join(",", who) + "' already exist (change them with PUT)");
    }

    static ApiException notFound(Scope scope, String who) {
        return ApiException.notFound("NOT_FOUND", "no rules for " + scope.field() + " '" + who + "'");
    }
}

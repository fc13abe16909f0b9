package io.trellis.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trellis.security.authz.AclRule;
import io.trellis.security.authz.BuiltInAuthzDatabase;
import io.trellis.security.authz.BuiltInRule;
import io.trellis.security.authz.BuiltInRuleSet;
import io.trellis.server.node.PrivateFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The built-in database authorization source with its rules on disk:
 * {@code <node.data_dir>/authz/built_in_database.json}, {@code {"users": [{"username", "rules"}],
 * "clients": [{"clientid", "rules"}], "all": [rules]}} with each rule in EMQX's API shape
 * ({@link #ruleJson}). Written whole to a temporary file and moved over the old one, so a crash
 * leaves the old or the new file.
 *
 * <p>Every change goes through {@link #apply} / {@link #applyAll} with whole {@link BuiltInRuleSet}s:
 * the unit the cluster config log replicates ({@link AuthzRuleChanges}), so every node holds the
 * same rules.
 */
public final class AuthzRulesStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BuiltInAuthzDatabase db;

    private AuthzRulesStore(Path file, BuiltInAuthzDatabase db) {
        this.file = file;
        this.db = db;
    }

    /** The stored rules, or an empty database when the file does not exist yet. */
    public static AuthzRulesStore open(Path dataDir, int maxRules) throws IOException {
        Path file = dataDir.resolve("authz").resolve("built_in_database.json");
        AuthzRulesStore store = new AuthzRulesStore(file, new BuiltInAuthzDatabase(maxRules));
        if (Files.exists(file)) {
            JsonNode root;
            try {
                root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException("not valid JSON (" + e.getOriginalMessage() + ")", e);
            }
            try {
                for (BuiltInRuleSet set : fromFile(root)) store.db.apply(set);
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        return store;
    }

    public Path file() {
        return file;
    }

    /** The source to put in the authorizer. */
    public BuiltInAuthzDatabase database() {
        return db;
    }

    /**
     * The one way rules change: stores {@code set} (or removes its subject's list), then writes the
     * file; if the write fails the change is undone.
     *
     * @return the list it replaced, if any
     * @throws IllegalArgumentException when the list breaks max_rules
     */
    public synchronized Optional<BuiltInRuleSet> apply(BuiltInRuleSet set) throws IOException {
        return applyAll(List.of(set)).get(0);
    }

    /**
     * Stores every set in order and writes the file once; if a set breaks max_rules or the write
     * fails, none of them is kept.
     *
     * @return per set, the list it replaced, if any
     * @throws IllegalArgumentException when a list breaks max_rules
     */
    public synchronized List<Optional<BuiltInRuleSet>> applyAll(List<BuiltInRuleSet> sets) throws IOException {
        for (BuiltInRuleSet set : sets) db.check(set);
        List<Optional<BuiltInRuleSet>> olds = new ArrayList<>();
        for (BuiltInRuleSet set : sets) olds.add(db.apply(set));
        try {
            save();
        } catch (IOException e) {
            for (int i = sets.size() - 1; i >= 0; i--) {
                BuiltInRuleSet set = sets.get(i);
                db.apply(olds.get(i).orElse(BuiltInRuleSet.removal(set.scope(), set.who())));
            }
            throw e;
        }
        return olds;
    }

    private void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode users = root.putArray("users");
        for (BuiltInRuleSet s : db.list(BuiltInRuleSet.Scope.USERNAME)) users.addPOJO(setJson(s));
        ArrayNode clients = root.putArray("clients");
        for (BuiltInRuleSet s : db.list(BuiltInRuleSet.Scope.CLIENTID)) clients.addPOJO(setJson(s));
        ArrayNode all = root.putArray("all");
        for (BuiltInRuleSet s : db.list(BuiltInRuleSet.Scope.ALL)) {
            for (BuiltInRule r : s.rules()) all.addPOJO(ruleJson(r));
        }
        PrivateFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    private static List<BuiltInRuleSet> fromFile(JsonNode root) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("expected a JSON object");
        List<BuiltInRuleSet> sets = new ArrayList<>();
        for (BuiltInRuleSet.Scope scope : List.of(BuiltInRuleSet.Scope.USERNAME, BuiltInRuleSet.Scope.CLIENTID)) {
            String key = scope == BuiltInRuleSet.Scope.USERNAME ? "users" : "clients";
            JsonNode list = root.path(key);
            for (int i = 0; i < list.size(); i++) sets.add(setFromJson(scope, list.get(i), key + "[" + i + "]", null));
        }
        if (root.has("all")) sets.add(new BuiltInRuleSet(BuiltInRuleSet.Scope.ALL, null, rulesFromJson(root.get("all"), "all")));
        return sets;
    }

    // ---- EMQX's JSON shapes, shared with the API

    /** {@code {"username"|"clientid": who, "rules": [...]}}. */
    static Map<String, Object> setJson(BuiltInRuleSet s) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (s.scope() != BuiltInRuleSet.Scope.ALL) m.put(s.scope().field(), s.who());
        m.put("rules", s.rules().stream().map(AuthzRulesStore::ruleJson).toList());
        return m;
    }

    /** {@code {"topic", "permission", "action", "qos": [0,1,2], "retain": true|false|"all"}}. */
    static Map<String, Object> ruleJson(BuiltInRule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("topic", r.topic());
        m.put("permission", r.permission().name().toLowerCase(Locale.ROOT));
        m.put("action", r.action().name().toLowerCase(Locale.ROOT));
        m.put("qos", r.qosList());
        m.put("retain", r.retain() == null ? "all" : r.retain());
        return m;
    }

    /**
     * A subject's list from {@code {"username": "u", "rules": [...]}}; {@code where} prefixes errors.
     *
     * @param expectedWho the subject named by the URL (PUT), or null
     */
    static BuiltInRuleSet setFromJson(BuiltInRuleSet.Scope scope, JsonNode node, String where, String expectedWho) {
        if (node == null || !node.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object");
        String field = scope.field();
        JsonNode who = node.get(field);
        String name = who != null && who.isTextual() ? who.asText() : expectedWho;
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(where + "." + field + ": missing; give a non-empty string");
        }
        if (expectedWho != null && !expectedWho.equals(name)) {
            throw new IllegalArgumentException(where + "." + field + ": '" + name + "' is not the " + field
                    + " of the URL ('" + expectedWho + "')");
        }
        return new BuiltInRuleSet(scope, name, rulesFromJson(node.get("rules"), where + ".rules"));
    }

    static List<BuiltInRule> rulesFromJson(JsonNode rules, String where) {
        if (rules == null || rules.isNull()) return List.of();
        if (!rules.isArray()) throw new IllegalArgumentException(where + ": expected an array of rules");
        List<BuiltInRule> out = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            String at = where + "[" + i + "]";
            try {
                out.add(ruleFromJson(rules.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + "." + e.getMessage(), e);
            }
        }
        return out;
    }

    private static BuiltInRule ruleFromJson(JsonNode r) {
        if (r == null || !r.isObject()) {
            throw new IllegalArgumentException("rule: expected {\"permission\", \"action\", \"topic\", ...}");
        }
        Set<Integer> qos = new LinkedHashSet<>();
        JsonNode q = r.get("qos");
        if (q != null && !q.isNull()) {
            for (JsonNode level : q.isArray() ? q : JSON.createArrayNode().add(q)) {
                if (!level.isInt()) throw new IllegalArgumentException("qos: " + level + " is not 0, 1 or 2");
                qos.add(level.asInt());
            }
            if (q.isArray() && q.isEmpty()) throw new IllegalArgumentException("qos: empty; list the levels, e.g. [0, 1, 2]");
        }
        Boolean retain = null;
        JsonNode ret = r.get("retain");
        if (ret != null && !ret.isNull()) {
            if (ret.isBoolean()) retain = ret.asBoolean();
            else if (ret.isTextual() && ret.asText().equalsIgnoreCase("all")) retain = null;
            else if (ret.isTextual() && (ret.asText().equals("true") || ret.asText().equals("false"))) retain = Boolean.valueOf(ret.asText());
            else throw new IllegalArgumentException("retain: " + ret + " is not true, false or \"all\"");
        }
        AclRule.Permission permission = BuiltInRule.permission(text(r, "permission"));
        AclRule.ActionRule.Kind action = BuiltInRule.action(text(r, "action"));
        return new BuiltInRule(permission, action, text(r, "topic"), qos, retain);
    }

    private static String text(JsonNode r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new IllegalArgumentException(field + ": expected a string, got " + v);
        return v.asText();
    }
}

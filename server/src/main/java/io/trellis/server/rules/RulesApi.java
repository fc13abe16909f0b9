package io.trellis.server.rules;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.trellis.cluster.conf.ConfLog;
import io.trellis.rules.ConnectorTargetDeniedException;
import io.trellis.rules.NotFoundException;
import io.trellis.rules.RuleConfigException;
import io.trellis.rules.RuleEngine;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.Json;
import io.trellis.rules.api.RuleBody;
import io.trellis.rules.api.RuleTestBody;
import io.trellis.rules.connector.ConnectorStatus;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.server.api.ApiException;
import io.trellis.server.api.ApiRequest;
import io.trellis.server.api.ApiResponse;
import io.trellis.server.api.Router;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * EMQX's rule engine endpoints: {@code /api/v5/connectors}, {@code /api/v5/actions},
 * {@code /api/v5/rules}, {@code /api/v5/rule_test}, {@code /api/v5/connectors_probe},
 * {@code /api/v5/actions_probe}, {@code /api/v5/rule_engine} (the SSRF policy).
 * Bad bodies and SSRF denials answer 400 with the engine's text (EMQX's wording for the policy),
 * unknown ids 404; passwords show as {@code ******} and a PUT that sends {@code ******} back keeps
 * the stored one. Every successful change is persisted ({@link NodeRules#persist()}).
 *
 * <p>In a cluster every change goes through the cluster config log (see {@link #RulesApi(NodeRules,
 * ConfLog)}): rules.json is then this node's cache of the log's state up to its applied tnx id.
 */
public final class RulesApi {
    static final String MASK = "******";
    private static final long PROBE_TIMEOUT_SECONDS = 15;
    private static final long CHANGE_TIMEOUT_SECONDS = 30;

    /** The kind of the rule engine's entries in the cluster config log. */
    public static final String CONF_KIND = "rules";

    private final NodeRules rules;
    private final ConfLog log;
    /** The changing endpoints by "METHOD template": what the log's applier runs on every node. */
    private final Map<String, Router.Handler> changes = new java.util.concurrent.ConcurrentHashMap<>();

    /** Changes apply to this node only (no cluster config log). */
    public RulesApi(NodeRules rules) {
        this(rules, null);
    }

    /**
     * Every change (connectors, actions, rules, the SSRF policy) goes through {@code log}: the call
     * submits it, every node (this one too) applies it in tnx order, and the call answers with this
     * node's result once applied here. Registers the applier, so make this before {@code log.start}.
     */
    public RulesApi(NodeRules rules, ConfLog log) {
        this.rules = rules;
        this.log = log;
        if (log != null) {
            register(new Router()); // fills the changes for the applier
            log.register(CONF_KIND, this::apply);
        }
    }

    /** The payload of a change: the endpoint, its path parameters and the request body, as sent. */
    public record LoggedChange(String endpoint, Map<String, String> params, byte[] body) {
    }

    private Router.Handler logged(io.netty.handler.codec.http.HttpMethod method, String template, Router.Handler local) {
        String endpoint = method.name() + " " + template;
        changes.put(endpoint, local);
        if (log == null) {
            return local;
        }
        return r -> submit(endpoint, r);
    }

    /** API thread: into the log, wait until applied here; an error of the apply answers as it would have alone. */
    private ApiResponse submit(String endpoint, ApiRequest r) throws Exception {
        if (r.body() != null && r.body().length > 0) {
            try {
                Json.MAPPER.readTree(r.body()); // not JSON: refused here, not logged
            } catch (IOException e) {
                throw ApiException.badRequest("bad request body: " + firstLine(e.getMessage()));
            }
        }
        byte[] payload = Json.MAPPER.writeValueAsBytes(new LoggedChange(endpoint, r.pathParams(), r.body() == null ? new byte[0] : r.body()));
        try {
            ConfLog.Committed done = log.submit(CONF_KIND, payload).get(CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return (ApiResponse) done.result();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfLog.ChangeFailedException failed) {
                if (failed.getCause() instanceof Exception applyError) {
                    throw applyError; // the same answer as a change on one node: 400, 404...
                }
                throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "CLUSTER_CONF_UNAVAILABLE", failed.getMessage());
            }
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "CLUSTER_CONF_UNAVAILABLE", String.valueOf(cause.getMessage()));
        } catch (TimeoutException e) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "CLUSTER_CONF_UNAVAILABLE",
                    "the change was not applied on this node within " + CHANGE_TIMEOUT_SECONDS + "s; see ctl conf cluster_sync status");
        }
    }

    /** The log's thread, on every node: runs the endpoint's change as the API call would have. */
    private Object apply(io.trellis.cluster.conf.ConfEntry entry) throws Exception {
        LoggedChange c = Json.MAPPER.readValue(entry.payload(), LoggedChange.class);
        Router.Handler h = changes.get(c.endpoint());
        if (h == null) {
            throw new IllegalArgumentException("unknown rule engine change " + c.endpoint() + " (made by a newer version?)");
        }
        String[] parts = c.endpoint().split(" ", 2);
        return h.handle(new ApiRequest(io.netty.handler.codec.http.HttpMethod.valueOf(parts[0]), parts[1],
                c.params() == null ? Map.of() : c.params(), Map.of(), c.body()));
    }

    public void register(Router router) {
        router.add(GET, "/api/v5/connectors", r -> ApiResponse.ok(engine().listConnectors().stream().map(RulesApi::connectorJson).toList()))
                .add(POST, "/api/v5/connectors", logged(POST, "/api/v5/connectors", this::createConnector))
                .add(GET, "/api/v5/connectors/{id}", r -> call(() -> ApiResponse.ok(connectorJson(engine().connector(r.pathParam("id"))))))
                .add(PUT, "/api/v5/connectors/{id}", logged(PUT, "/api/v5/connectors/{id}", this::updateConnector))
                .add(DELETE, "/api/v5/connectors/{id}", logged(DELETE, "/api/v5/connectors/{id}", r -> change(() -> engine().deleteConnector(r.pathParam("id")))))
                .add(POST, "/api/v5/connectors/{id}/enable/{enable}", logged(POST, "/api/v5/connectors/{id}/enable/{enable}",
                        r -> change(() -> engine().enableConnector(r.pathParam("id"), flag(r)))))
                .add(POST, "/api/v5/connectors_probe", this::probeConnector)
                .add(GET, "/api/v5/actions", r -> ApiResponse.ok(engine().listActions().stream().map(RulesApi::actionJson).toList()))
                .add(POST, "/api/v5/actions", logged(POST, "/api/v5/actions", r -> call(() -> {
                    RuleEngine.ActionInfo a = engine().createAction(parse(r, ActionBody.class));
                    rules.persist();
                    return ApiResponse.json(HttpResponseStatus.CREATED, actionJson(a));
                })))
                .add(GET, "/api/v5/actions/{id}", r -> call(() -> ApiResponse.ok(actionJson(engine().action(r.pathParam("id"))))))
                .add(PUT, "/api/v5/actions/{id}", logged(PUT, "/api/v5/actions/{id}", r -> call(() -> {
                    ObjectNode body = withTypeAndName(r);
                    RuleEngine.ActionInfo a = engine().updateAction(Json.MAPPER.treeToValue(body, ActionBody.class));
                    rules.persist();
                    return ApiResponse.ok(actionJson(a));
                })))
                .add(POST, "/api/v5/actions_probe", this::probeAction)
                .add(DELETE, "/api/v5/actions/{id}", logged(DELETE, "/api/v5/actions/{id}", r -> change(() -> engine().deleteAction(r.pathParam("id")))))
                .add(POST, "/api/v5/actions/{id}/enable/{enable}", logged(POST, "/api/v5/actions/{id}/enable/{enable}",
                        r -> change(() -> engine().enableAction(r.pathParam("id"), flag(r)))))
                .add(GET, "/api/v5/rules", r -> ApiResponse.ok(page(engine().listRules().stream().map(RulesApi::ruleJson).toList())))
                .add(POST, "/api/v5/rules", logged(POST, "/api/v5/rules", r -> call(() -> {
                    RuleEngine.RuleInfo info = engine().createRule(parse(r, RuleBody.class));
                    rules.persist();
                    return ApiResponse.json(HttpResponseStatus.CREATED, ruleJson(info));
                })))
                .add(GET, "/api/v5/rules/{id}", r -> call(() -> ApiResponse.ok(ruleJson(engine().rule(r.pathParam("id"))))))
                .add(PUT, "/api/v5/rules/{id}", logged(PUT, "/api/v5/rules/{id}", r -> call(() -> {
                    ObjectNode body = object(r);
                    body.put("id", r.pathParam("id"));
                    RuleEngine.RuleInfo info = engine().updateRule(Json.MAPPER.treeToValue(body, RuleBody.class));
                    rules.persist();
                    return ApiResponse.ok(ruleJson(info));
                })))
                .add(DELETE, "/api/v5/rules/{id}", logged(DELETE, "/api/v5/rules/{id}", r -> change(() -> engine().deleteRule(r.pathParam("id")))))
                .add(GET, "/api/v5/rules/{id}/metrics", r -> call(() -> ApiResponse.ok(metricsJson(engine().rule(r.pathParam("id"))))))
                .add(POST, "/api/v5/rule_test", this::ruleTest)
                .add(GET, "/api/v5/rule_engine", r -> ApiResponse.ok(ruleEngineJson(rules.policy())))
                .add(PUT, "/api/v5/rule_engine", logged(PUT, "/api/v5/rule_engine", this::updateRuleEngine));
    }

    private RuleEngine engine() {
        return rules.engine();
    }

    // ---------------------------------------------------------------- connectors

    private ApiResponse createConnector(ApiRequest r) {
        return call(() -> {
            RuleEngine.ConnectorInfo c = engine().createConnector(parse(r, ConnectorBody.class));
            rules.persist();
            return ApiResponse.json(HttpResponseStatus.CREATED, connectorJson(c));
        });
    }

    private ApiResponse updateConnector(ApiRequest r) {
        return call(() -> {
            ObjectNode body = withTypeAndName(r);
            if (MASK.equals(body.path("password").asText(null))) {
                // EMQX's GET shows ******; sending it back means "keep the password"
                ConnectorBody current = engine().connector(r.pathParam("id")).body();
                if (current.password() == null) {
                    body.remove("password");
                } else {
                    body.put("password", current.password().reveal());
                }
            }
            RuleEngine.ConnectorInfo c = engine().updateConnector(Json.MAPPER.treeToValue(body, ConnectorBody.class));
            rules.persist();
            return ApiResponse.ok(connectorJson(c));
        });
    }

    private ApiResponse probeConnector(ApiRequest r) {
        return call(() -> {
            try {
                engine().testConnector(parse(r, ConnectorBody.class)).get(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw ApiException.badRequest("connector test failed: " + cause.getMessage());
            } catch (TimeoutException e) {
                throw ApiException.badRequest("connector test failed: no connection within " + PROBE_TIMEOUT_SECONDS + "s");
            }
            return ApiResponse.noContent();
        });
    }

    /** An action's test: its connector must exist, and the connector's target is tested as connectors_probe does. */
    private ApiResponse probeAction(ApiRequest r) {
        return call(() -> {
            ActionBody action = parse(r, ActionBody.class);
            if (action.type() == null || action.connector() == null) {
                throw ApiException.badRequest("an action needs type and connector, e.g. {\"type\": \"http\", \"connector\": \"my_hook\", ...}");
            }
            ConnectorBody connector = engine().connector(action.type() + ":" + action.connector()).body();
            try {
                engine().testConnector(connector).get(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw ApiException.badRequest("action test failed: " + cause.getMessage());
            } catch (TimeoutException e) {
                throw ApiException.badRequest("action test failed: no connection within " + PROBE_TIMEOUT_SECONDS + "s");
            }
            return ApiResponse.noContent();
        });
    }

    static Map<String, Object> connectorJson(RuleEngine.ConnectorInfo c) {
        ObjectNode body = Json.MAPPER.valueToTree(c.body());
        if (body.has("password")) {
            body.put("password", MASK);
        }
        Map<String, Object> out = Json.MAPPER.convertValue(body, LinkedHashMap.class);
        out.put("enable", c.body().enabled());
        status(out, c.status());
        out.put("metrics", c.metrics());
        return out;
    }

    private static void status(Map<String, Object> out, ConnectorStatus s) {
        out.put("status", s.state().apiName());
        if (s.reason() != null) {
            out.put("status_reason", s.reason());
        }
    }

    // ---------------------------------------------------------------- actions

    static Map<String, Object> actionJson(RuleEngine.ActionInfo a) {
        @SuppressWarnings("unchecked")
        Map<String, Object> out = Json.MAPPER.convertValue(a.body(), LinkedHashMap.class);
        out.put("enable", a.body().enabled());
        status(out, a.status());
        out.put("metrics", a.metrics());
        return out;
    }

    // ---------------------------------------------------------------- rules

    static Map<String, Object> ruleJson(RuleEngine.RuleInfo info) {
        @SuppressWarnings("unchecked")
        Map<String, Object> out = Json.MAPPER.convertValue(info.body(), LinkedHashMap.class);
        out.put("enable", info.body().enabled());
        if (info.body().actions() == null) {
            out.put("actions", List.of());
        }
        return out;
    }

    private static Map<String, Object> metricsJson(RuleEngine.RuleInfo info) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", info.body().id());
        out.put("metrics", info.metrics());
        return out;
    }

    /** EMQX pages GET /rules: {"data": [...], "meta": {...}}; Trellis returns one page with all. */
    private static Map<String, Object> page(List<Map<String, Object>> data) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("page", 1);
        meta.put("limit", Math.max(100, data.size()));
        meta.put("count", data.size());
        meta.put("hasnext", false);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("data", data);
        out.put("meta", meta);
        return out;
    }

    private ApiResponse ruleTest(ApiRequest r) {
        return call(() -> {
            Optional<Map<String, Object>> out = engine().testRule(parse(r, RuleTestBody.class));
            if (out.isEmpty()) {
                throw new ApiException(HttpResponseStatus.PRECONDITION_FAILED, "NOT_MATCH", "SQL Not Match");
            }
            return ApiResponse.ok(out.get());
        });
    }

    // ---------------------------------------------------------------- rule_engine (SSRF policy)

    static Map<String, Object> ruleEngineJson(SsrfPolicy p) {
        Map<String, Object> ssrf = new LinkedHashMap<>();
        ssrf.put("enable", p.enabled());
        ssrf.put("allow_cidrs", p.allowCidrs());
        ssrf.put("deny_cidrs", p.denyCidrs());
        ssrf.put("deny_hosts", new ArrayList<>(new TreeSet<>(p.denyHosts())));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ssrf", ssrf);
        return out;
    }

    private ApiResponse updateRuleEngine(ApiRequest r) {
        return call(() -> {
            JsonNode ssrf = object(r).get("ssrf");
            if (ssrf == null || !ssrf.isObject()) {
                throw ApiException.badRequest("body needs \"ssrf\": {\"enable\": ..., \"allow_cidrs\": [...], \"deny_cidrs\": [...], \"deny_hosts\": [...]}");
            }
            RulesStore.SsrfBody body = Json.MAPPER.treeToValue(ssrf, RulesStore.SsrfBody.class);
            try {
                return ApiResponse.ok(ruleEngineJson(rules.updatePolicy(body)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
        });
    }

    // ---------------------------------------------------------------- plumbing

    private interface Call {
        ApiResponse run() throws Exception;
    }

    private interface Change {
        void run() throws Exception;
    }

    /** 204 after a change that answers nothing (delete, enable), persisted. */
    private ApiResponse change(Change c) {
        return call(() -> {
            c.run();
            rules.persist();
            return ApiResponse.noContent();
        });
    }

    /** The engine's checked errors as EMQX's answers: 400 with the text, 404 for an unknown id. */
    private static ApiResponse call(Call c) {
        try {
            return c.run();
        } catch (ApiException e) {
            throw e;
        } catch (ConnectorTargetDeniedException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (RuleConfigException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (NotFoundException e) {
            throw ApiException.notFound("NOT_FOUND", e.getMessage());
        } catch (IOException e) {
            // malformed JSON or a field of the wrong type or name: the client's fault
            throw ApiException.badRequest("bad request body: " + firstLine(e.getMessage()));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static boolean flag(ApiRequest r) {
        String v = r.pathParam("enable");
        if ("true".equals(v)) return true;
        if ("false".equals(v)) return false;
        throw ApiException.badRequest("enable must be true or false, got " + v);
    }

    private static <T> T parse(ApiRequest r, Class<T> type) throws IOException {
        if (r.body() == null || r.body().length == 0) {
            throw ApiException.badRequest("a JSON body is required");
        }
        return Json.MAPPER.readValue(r.body(), type);
    }

    private static ObjectNode object(ApiRequest r) throws IOException {
        if (r.body() == null || r.body().length == 0) {
            throw ApiException.badRequest("a JSON body is required");
        }
        JsonNode n = Json.MAPPER.readTree(r.body());
        if (!(n instanceof ObjectNode o)) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        return o;
    }

    /** PUT bodies omit type and name (EMQX): they come from the path id {@code type:name}. */
    private static ObjectNode withTypeAndName(ApiRequest r) throws IOException {
        String id = r.pathParam("id");
        int colon = id.indexOf(':');
        if (colon <= 0 || colon == id.length() - 1) {
            throw ApiException.badRequest("id " + id + " is not <type>:<name>, e.g. http:my_webhook");
        }
        ObjectNode body = object(r);
        body.put("type", id.substring(0, colon));
        body.put("name", id.substring(colon + 1));
        return body;
    }
}

package io.trellis.rules;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.trellis.rules.action.ActionMetrics;
import io.trellis.rules.action.DeliveryQueue;
import io.trellis.rules.action.HttpSink;
import io.trellis.rules.action.MqttBridgeSink;
import io.trellis.rules.action.RepublishSink;
import io.trellis.rules.action.Republisher;
import io.trellis.rules.action.RetryPolicy;
import io.trellis.rules.action.Sink;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.api.ConnectorBody;
import io.trellis.rules.api.EngineState;
import io.trellis.rules.api.RuleBody;
import io.trellis.rules.api.RuleTestBody;
import io.trellis.rules.connector.ConnectorStatus;
import io.trellis.rules.connector.ConnectorStatus.State;
import io.trellis.rules.connector.HttpConnector;
import io.trellis.rules.connector.MqttBridgeClient;
import io.trellis.rules.sql.RuleEvalException;
import io.trellis.rules.sql.RuleSql;
import io.trellis.rules.sql.SqlParseException;
import io.trellis.security.ssrf.HostResolver;
import io.trellis.security.ssrf.SsrfAddressResolverGroup;
import io.trellis.security.ssrf.SsrfDecision;
import io.trellis.security.ssrf.SsrfGuard;
import io.trellis.security.ssrf.SsrfPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule engine: rules ({@code SELECT ... FROM ... WHERE ...}), the actions they feed and the
 * connectors those actions send through, managed with EMQX's API bodies.
 *
 * <p><b>The broker's seam</b>: {@link #onMessagePublished(RuleInput)} is called on the publish
 * path and returns at once. It evaluates the matching rules on the caller thread (CPU only: the
 * SQL, and a JSON decode of the payload at most once per rule) and hands each output to the
 * action's bounded {@link DeliveryQueue}; sending, retries and backoff run on the engine's own
 * event loops and scheduler, so a slow or dead endpoint never blocks the caller. Republish
 * actions publish through the {@link Republisher} the broker provides.
 *
 * <p><b>SSRF</b>: creating, updating or testing a connector checks its target with the current
 * {@link SsrfPolicy} ({@code url} with {@code checkUrl}, {@code server} with {@code checkServer})
 * and refuses with {@link ConnectorTargetDeniedException} (EMQX's text; the API answers 400).
 * Enabling, disabling and deleting are never blocked by the policy. {@link #load(EngineState)}
 * (boot, replication) keeps a denied connector, disabled, with the reason in its status. Every
 * connect also goes through the {@link SsrfAddressResolverGroup}, so a policy change applies to the
 * next connect without restart, and DNS rebinding cannot reach a denied address.
 *
 * <p>Management calls are serialised ({@code synchronized}); the publish path reads an immutable
 * snapshot of the rules and never takes the lock.
 */
public final class RuleEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuleEngine.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,254}");
    private static final List<String> CONNECTOR_TYPES = List.of("http", "mqtt");

    /** A connector as listed: its body, status and the sum of its actions' metrics. */
    public record ConnectorInfo(ConnectorBody body, ConnectorStatus status, Map<String, Long> metrics) {
    }

    /** An action as listed: its body, its connector's status, and its metrics. */
    public record ActionInfo(ActionBody body, ConnectorStatus status, Map<String, Long> metrics) {
    }

    /** A rule as listed. */
    public record RuleInfo(RuleBody body, Map<String, Long> metrics) {
    }

    private final Supplier<SsrfPolicy> policy;
    private final HostResolver resolver;
    private final Republisher republisher;
    private final RetryPolicy retryPolicy;
    private final Duration bridgeBackoff;
    private final EventLoopGroup group;
    private final ScheduledExecutorService scheduler;
    private final SsrfAddressResolverGroup ssrfResolver;

    private final Map<String, ConnectorRuntime> connectors = new LinkedHashMap<>();
    /** Sorted by id; concurrent because the publish path reads it without the engine lock. */
    private final Map<String, ActionRuntime> actions = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final Map<String, RuleRuntime> rules = new LinkedHashMap<>();
    /** What the publish path reads: rebuilt on every rule change. */
    private volatile List<RuleRuntime> activeRules = List.of();

    private RuleEngine(Builder b) {
        this.policy = Objects.requireNonNull(b.policy, "policy");
        this.resolver = b.resolver;
        this.republisher = b.republisher;
        this.retryPolicy = b.retryPolicy;
        this.bridgeBackoff = b.bridgeBackoff;
        this.group = new MultiThreadIoEventLoopGroup(b.ioThreads, NioIoHandler.newFactory());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-rules-worker");
            t.setDaemon(true);
            return t;
        });
        this.ssrfResolver = new SsrfAddressResolverGroup(new SsrfGuard(policy, resolver));
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- the publish path

    /**
     * Runs the enabled rules whose FROM matches the message's topic and queues their outputs to
     * their actions. Returns at once; never throws for a rule's failure (it is counted).
     */
    public void onMessagePublished(RuleInput input) {
        for (RuleRuntime rule : activeRules) {
            if (!rule.sql.matchesTopic(input.topic())) continue;
            rule.metrics.matched.increment();
            Optional<Map<String, Object>> out;
            try {
                out = rule.sql.evaluate(input);
            } catch (RuntimeException e) {
                // whatever a rule does wrong stays in its metrics: the publish path must go on
                rule.metrics.failedException.increment();
                LOG.debug("rule {} failed on topic {}: {}", rule.body.id(), input.topic(), e.toString());
                continue;
            }
            if (out.isEmpty()) {
                rule.metrics.failedNoResult.increment();
                continue;
            }
            rule.metrics.passed.increment();
            Map<String, Object> withEnv = null;
            for (Object ref : rule.outputs) {
                DeliveryQueue q = ref instanceof DeliveryQueue inline ? inline : queueOf((String) ref);
                rule.metrics.actionsTotal.increment();
                if (q == null) {
                    rule.metrics.actionsFailed.increment(); // disabled or deleted action
                    continue;
                }
                Map<String, Object> fields = out.get();
                if (ref instanceof DeliveryQueue) {
                    // built-in actions (republish) also see the message's own fields, so that
                    // "alerts/${clientid}" works with SELECT payload.temp as t; selected fields win
                    if (withEnv == null) withEnv = withMessageFields(out.get(), input);
                    fields = withEnv;
                }
                q.offer(fields, ok -> (ok ? rule.metrics.actionsSuccess : rule.metrics.actionsFailed).increment());
            }
        }
    }

    private static Map<String, Object> withMessageFields(Map<String, Object> selected, RuleInput input) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", input.id());
        m.put("topic", input.topic());
        m.put("qos", input.qos());
        if (input.clientid() != null) m.put("clientid", input.clientid());
        if (input.username() != null) m.put("username", input.username());
        if (input.peerhost() != null) m.put("peerhost", input.peerhost());
        m.put("timestamp", input.timestamp());
        m.putAll(selected);
        return m;
    }

    private DeliveryQueue queueOf(String actionId) {
        ActionRuntime a;
        a = actions.get(actionId);
        return a == null || !a.body.enabled() ? null : a.queue;
    }

    // ---------------------------------------------------------------- connectors

    public synchronized ConnectorInfo createConnector(ConnectorBody body) throws RuleConfigException {
        checkConnectorBody(body);
        if (connectors.containsKey(body.id())) {
            throw new RuleConfigException("name", "connector " + body.id() + " already exists; update it with PUT instead");
        }
        checkTarget(body);
        ConnectorRuntime c = new ConnectorRuntime(body);
        c.build();
        connectors.put(body.id(), c);
        c.start();
        return info(c);
    }

    public synchronized ConnectorInfo updateConnector(ConnectorBody body) throws RuleConfigException, NotFoundException {
        checkConnectorBody(body);
        ConnectorRuntime old = connectorOrThrow(body.id());
        checkTarget(body);
        ConnectorRuntime c = new ConnectorRuntime(body);
        c.build();
        old.stop();
        connectors.put(body.id(), c);
        c.start();
        return info(c);
    }

    /** Enabling or disabling is never refused by the SSRF policy; a denied target stays unreachable. */
    public synchronized ConnectorInfo enableConnector(String id, boolean enable) throws NotFoundException {
        ConnectorRuntime old = connectorOrThrow(id);
        old.stop();
        ConnectorRuntime c = new ConnectorRuntime(old.body.withEnable(enable));
        connectors.put(id, c);
        try {
            c.build();
            c.start();
        } catch (RuleConfigException e) {
            c.status = new ConnectorStatus(State.DISCONNECTED, e.getMessage());
        }
        return info(c);
    }

    /** Refused only while actions use the connector (as EMQX). */
    public synchronized void deleteConnector(String id) throws NotFoundException, RuleConfigException {
        ConnectorRuntime c = connectorOrThrow(id);
        List<String> users = new ArrayList<>();
        for (ActionRuntime a : actions.values()) {
            if (connectorId(a.body).equals(id)) users.add(a.body.id());
        }
        if (!users.isEmpty()) {
            throw new RuleConfigException("name", "connector " + id + " is used by actions " + users + "; delete them first");
        }
        c.stop();
        connectors.remove(id);
    }

    /**
     * EMQX's connector test ({@code POST /api/v5/connectors_probe}): the body's checks, the SSRF
     * policy, and a connect. Completes with null when the target answered.
     */
    public CompletableFuture<Void> testConnector(ConnectorBody body) throws RuleConfigException {
        checkConnectorBody(body);
        checkTarget(body);
        if (body.type().equals("http")) {
            HttpConnector probe = HttpConnector.create(body, group, policy, resolver, s -> { });
            return probe.probe().whenComplete((r, e) -> probe.close());
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        MqttBridgeClient[] holder = new MqttBridgeClient[1];
        holder[0] = MqttBridgeClient.create(body, group, ssrfResolver, Duration.ofDays(1), s -> {
            if (s.state() == State.CONNECTED) done.complete(null);
            if (s.state() == State.DISCONNECTED) done.completeExceptionally(new java.io.IOException(s.reason()));
        });
        holder[0].start();
        return done.whenComplete((r, e) -> holder[0].close());
    }

    public synchronized List<ConnectorInfo> listConnectors() {
        return connectors.values().stream().map(this::info).toList();
    }

    public synchronized ConnectorInfo connector(String id) throws NotFoundException {
        return info(connectorOrThrow(id));
    }

    private ConnectorInfo info(ConnectorRuntime c) {
        List<ActionMetrics> ms = new ArrayList<>();
        for (ActionRuntime a : actions.values()) {
            if (connectorId(a.body).equals(c.body.id())) ms.add(a.queue.metrics());
        }
        Map<String, Long> sum = new LinkedHashMap<>(new ActionMetrics().snapshot());
        for (ActionMetrics m : ms) m.snapshot().forEach((k, v) -> sum.merge(k, v, Long::sum));
        return new ConnectorInfo(c.body, c.status, sum);
    }

    private ConnectorRuntime connectorOrThrow(String id) throws NotFoundException {
        ConnectorRuntime c = connectors.get(id);
        if (c == null) throw new NotFoundException("connector", id);
        return c;
    }

    private static void checkConnectorBody(ConnectorBody body) throws RuleConfigException {
        if (body == null) throw new RuleConfigException("body", "a connector body is required");
        if (body.type() == null || !CONNECTOR_TYPES.contains(body.type())) {
            throw new RuleConfigException("type", "type: must be one of " + CONNECTOR_TYPES + ", got " + body.type());
        }
        checkName(body.name());
    }

    private static void checkName(String name) throws RuleConfigException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new RuleConfigException("name", "name: must start with a letter or digit and hold only letters, digits, "
                    + "'_', '-' and '.', got '" + name + "'");
        }
    }

    /** The SSRF check at create, update and test; a name that does not resolve passes (logged). */
    private void checkTarget(ConnectorBody body) throws RuleConfigException {
        String field = body.type().equals("http") ? "url" : "server";
        SsrfDecision d = targetDecision(body);
        if (d instanceof SsrfDecision.Invalid invalid) throw new RuleConfigException(field, field + ": " + invalid.reason());
        if (!d.passes()) throw new ConnectorTargetDeniedException(field, d);
        if (d instanceof SsrfDecision.Unresolved u) LOG.warn("connector {}: {}", body.id(), u.warning());
    }

    private SsrfDecision targetDecision(ConnectorBody body) {
        return body.type().equals("http") ? policy.get().checkUrl(body.url(), resolver) : policy.get().checkServer(body.server(), resolver);
    }

    // ---------------------------------------------------------------- actions

    public synchronized ActionInfo createAction(ActionBody body) throws RuleConfigException {
        checkActionBody(body);
        if (actions.containsKey(body.id())) {
            throw new RuleConfigException("name", "action " + body.id() + " already exists; update it with PUT instead");
        }
        ActionRuntime a = new ActionRuntime(body, buildQueue(body));
        actions.put(body.id(), a);
        return actionInfo(a);
    }

    public synchronized ActionInfo updateAction(ActionBody body) throws RuleConfigException, NotFoundException {
        checkActionBody(body);
        ActionRuntime old;
        old = actions.get(body.id());
        if (old == null) throw new NotFoundException("action", body.id());
        ActionRuntime a = new ActionRuntime(body, buildQueue(body));
        actions.put(body.id(), a);
        old.queue.close();
        return actionInfo(a);
    }

    public synchronized ActionInfo enableAction(String id, boolean enable) throws NotFoundException {
        ActionRuntime a;
        a = actions.get(id);
        if (a == null) throw new NotFoundException("action", id);
        a = new ActionRuntime(a.body.withEnable(enable), a.queue);
        actions.put(id, a);
        return actionInfo(a);
    }

    /** Refused while rules use the action (as EMQX without {@code force}). */
    public synchronized void deleteAction(String id) throws NotFoundException, RuleConfigException {
        ActionRuntime a;
        a = actions.get(id);
        if (a == null) throw new NotFoundException("action", id);
        List<String> users = rules.values().stream().filter(r -> r.outputs.contains(id)).map(r -> r.body.id()).toList();
        if (!users.isEmpty()) throw new RuleConfigException("name", "action " + id + " is used by rules " + users + "; remove it from them first");
        actions.remove(id);
        a.queue.close();
    }

    public synchronized List<ActionInfo> listActions() {
        return actions.values().stream().map(this::actionInfo).toList();
    }

    public synchronized ActionInfo action(String id) throws NotFoundException {
        ActionRuntime a = actions.get(id);
        if (a == null) throw new NotFoundException("action", id);
        return actionInfo(a);
    }

    private ActionInfo actionInfo(ActionRuntime a) {
        ConnectorRuntime c = connectors.get(connectorId(a.body));
        ConnectorStatus s = c == null ? new ConnectorStatus(State.DISCONNECTED, "connector " + connectorId(a.body) + " not found")
                : !a.body.enabled() ? ConnectorStatus.of(State.DISABLED) : c.status;
        return new ActionInfo(a.body, s, a.queue.metrics().snapshot());
    }

    private static String connectorId(ActionBody body) {
        return body.type() + ":" + body.connector();
    }

    private void checkActionBody(ActionBody body) throws RuleConfigException {
        if (body == null) throw new RuleConfigException("body", "an action body is required");
        if (body.type() == null || !CONNECTOR_TYPES.contains(body.type())) {
            throw new RuleConfigException("type", "type: must be one of " + CONNECTOR_TYPES + ", got " + body.type());
        }
        checkName(body.name());
        if (body.connector() == null || !connectors.containsKey(connectorId(body))) {
            throw new RuleConfigException("connector", "connector: no " + body.type() + " connector named '" + body.connector()
                    + "'; create it first with POST /api/v5/connectors");
        }
    }

    private DeliveryQueue buildQueue(ActionBody body) throws RuleConfigException {
        String cid = connectorId(body);
        Sink sink = body.type().equals("http")
                ? new HttpSink(body.parameters(), () -> {
                    ConnectorRuntime running = runningConnector(cid);
                    return running == null ? null : running.http;
                })
                : new MqttBridgeSink(body.parameters(), () -> {
                    ConnectorRuntime running = runningConnector(cid);
                    return running == null ? null : running.mqtt;
                });
        RetryPolicy rp = retryPolicy;
        ActionBody.ResourceOpts o = body.resourceOpts();
        ConnectorRuntime c = connectors.get(cid);
        int inflight = c.http != null ? c.http.poolSize() : rp.inflight();
        try {
            rp = new RetryPolicy(o != null && o.maxBufferLen() != null ? o.maxBufferLen() : rp.bufferSize(),
                    o != null && o.inflightWindow() != null ? o.inflightWindow() : inflight,
                    o != null && o.maxRetries() != null ? o.maxRetries()
                            : body.parameters() != null && body.parameters().maxRetries() != null ? body.parameters().maxRetries()
                            : rp.maxRetries(), rp.initialBackoff(), rp.maxBackoff());
        } catch (IllegalArgumentException e) {
            throw new RuleConfigException("resource_opts", "resource_opts: " + e.getMessage());
        }
        return new DeliveryQueue(body.id(), sink, rp, scheduler, new ActionMetrics());
    }

    private ConnectorRuntime runningConnector(String id) {
        return connectorsView.get(id);
    }

    /** Connectors as the delivery threads see them (they must not take the engine lock). */
    private final Map<String, ConnectorRuntime> connectorsView = new java.util.concurrent.ConcurrentHashMap<>();

    // ---------------------------------------------------------------- rules

    public synchronized RuleInfo createRule(RuleBody body) throws RuleConfigException {
        RuleBody b = body != null && (body.id() == null || body.id().isBlank()) ? body.withId("rule_" + UUID.randomUUID().toString().substring(0, 8)) : body;
        if (b == null) throw new RuleConfigException("body", "a rule body is required");
        checkName(b.id());
        if (rules.containsKey(b.id())) throw new RuleConfigException("id", "rule " + b.id() + " already exists; update it with PUT instead");
        RuleRuntime r = buildRule(b);
        rules.put(b.id(), r);
        publishRules();
        return new RuleInfo(r.body, r.metrics.snapshot());
    }

    public synchronized RuleInfo updateRule(RuleBody body) throws RuleConfigException, NotFoundException {
        if (body == null || body.id() == null) throw new RuleConfigException("id", "id: required to update a rule");
        RuleRuntime old = rules.get(body.id());
        if (old == null) throw new NotFoundException("rule", body.id());
        RuleRuntime r = buildRule(body);
        rules.put(body.id(), r);
        publishRules();
        old.close();
        return new RuleInfo(r.body, r.metrics.snapshot());
    }

    public synchronized RuleInfo enableRule(String id, boolean enable) throws NotFoundException {
        RuleRuntime old = rules.get(id);
        if (old == null) throw new NotFoundException("rule", id);
        RuleRuntime r = new RuleRuntime(old.body.withEnable(enable), old.sql, old.outputs, old.metrics);
        rules.put(id, r);
        publishRules();
        return new RuleInfo(r.body, r.metrics.snapshot());
    }

    public synchronized void deleteRule(String id) throws NotFoundException {
        RuleRuntime r = rules.remove(id);
        if (r == null) throw new NotFoundException("rule", id);
        publishRules();
        r.close();
    }

    public synchronized List<RuleInfo> listRules() {
        return rules.values().stream().map(r -> new RuleInfo(r.body, r.metrics.snapshot())).toList();
    }

    public synchronized RuleInfo rule(String id) throws NotFoundException {
        RuleRuntime r = rules.get(id);
        if (r == null) throw new NotFoundException("rule", id);
        return new RuleInfo(r.body, r.metrics.snapshot());
    }

    /**
     * EMQX's {@code POST /api/v5/rule_test}: runs the SQL against a sample message, without
     * actions. Empty when the topic or WHERE does not match (EMQX answers 412 "SQL Not Match").
     */
    public Optional<Map<String, Object>> testRule(RuleTestBody body) throws RuleConfigException {
        if (body == null || body.sql() == null) throw new RuleConfigException("sql", "sql: required");
        RuleSql sql = parseSql(body.sql());
        Map<String, Object> ctx = body.context() == null ? Map.of() : body.context();
        String topic = String.valueOf(ctx.getOrDefault("topic", "t/a"));
        Object payload = ctx.getOrDefault("payload", "{\"msg\":\"hello\"}");
        String payloadText = payload instanceof String s ? s : io.trellis.rules.sql.Values.jsonEncode(payload);
        int qos = ctx.get("qos") instanceof Number n ? n.intValue() : 1;
        boolean retain = ctx.get("flags") instanceof Map<?, ?> f && Boolean.TRUE.equals(f.get("retain"));
        Map<String, String> props = new LinkedHashMap<>();
        if (ctx.get("pub_props") instanceof Map<?, ?> p && p.get("User-Property") instanceof Map<?, ?> up) {
            up.forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
        }
        RuleInput input = new RuleInput(String.valueOf(ctx.getOrDefault("id", "")), topic, payloadText.getBytes(StandardCharsets.UTF_8),
                qos, retain, str(ctx.getOrDefault("clientid", "c_emqx")), str(ctx.getOrDefault("username", "u_emqx")),
                str(ctx.getOrDefault("peerhost", "127.0.0.1")),
                ctx.get("timestamp") instanceof Number n ? n.longValue() : System.currentTimeMillis(), props);
        if (!sql.matchesTopic(topic)) return Optional.empty();
        try {
            return sql.evaluate(input);
        } catch (RuleEvalException e) {
            throw new RuleConfigException("sql", "sql: evaluation failed on the sample context: " + e.getMessage());
        }
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static RuleSql parseSql(String text) throws RuleConfigException {
        try {
            return RuleSql.parse(text);
        } catch (SqlParseException e) {
            throw new RuleConfigException("sql", "sql: " + e.getMessage());
        }
    }

    private RuleRuntime buildRule(RuleBody body) throws RuleConfigException {
        RuleSql sql = parseSql(body.sql());
        List<Object> outputs = new ArrayList<>();
        List<Object> refs = body.actions() == null ? List.of() : body.actions();
        try {
            for (int i = 0; i < refs.size(); i++) {
                Object ref = refs.get(i);
                if (ref instanceof String id) {
                    if (!actions.containsKey(id)) {
                        throw new RuleConfigException("actions", "actions[" + i + "]: no action '" + id
                                + "'; refer to actions as \"<type>:<name>\" and create them first");
                    }
                    outputs.add(id);
                } else if (ref instanceof Map<?, ?> m && "republish".equals(m.get("function"))) {
                    if (republisher == null) throw new RuleConfigException("actions", "actions[" + i + "]: republish needs a broker");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> args = m.get("args") instanceof Map<?, ?> a ? (Map<String, Object>) a : Map.of();
                    outputs.add(new DeliveryQueue(body.id() + ":republish", new RepublishSink(args, republisher, scheduler),
                            retryPolicy, scheduler, new ActionMetrics()));
                } else if (ref instanceof Map<?, ?> m && "console".equals(m.get("function"))) {
                    Sink console = fields -> {
                        LOG.info("rule {} output: {}", body.id(), fields);
                        return CompletableFuture.completedFuture(null);
                    };
                    outputs.add(new DeliveryQueue(body.id() + ":console", console, retryPolicy, scheduler, new ActionMetrics()));
                } else {
                    throw new RuleConfigException("actions", "actions[" + i + "]: expected an action id such as \"http:my_hook\" or "
                            + "{\"function\": \"republish\", \"args\": {...}} or {\"function\": \"console\"}, got " + ref);
                }
            }
        } catch (RuleConfigException e) {
            for (Object o : outputs) if (o instanceof DeliveryQueue q) q.close();
            throw e;
        }
        return new RuleRuntime(body, sql, outputs, new RuleMetrics());
    }

    private void publishRules() {
        activeRules = rules.values().stream().filter(r -> r.body.enabled()).toList();
    }

    // ---------------------------------------------------------------- state

    /** Everything configured, for persistence and replication. Holds secrets: store it as such. */
    public synchronized EngineState snapshot() {
        List<ActionBody> as;
        as = actions.values().stream().map(a -> a.body).toList();
        return new EngineState(connectors.values().stream().map(c -> c.body).toList(), as,
                rules.values().stream().map(r -> r.body).toList());
    }

    /**
     * Replaces the whole configuration, as at boot. A connector whose target the SSRF policy
     * denies is kept, disabled, with the policy's reason in its status; anything else that cannot
     * be built is skipped and reported in the returned list (one sentence each); the rest loads.
     */
    public synchronized List<String> load(EngineState state) {
        clear();
        List<String> problems = new ArrayList<>();
        for (ConnectorBody body : state.connectors()) {
            try {
                checkConnectorBody(body);
                ConnectorRuntime c = new ConnectorRuntime(body);
                SsrfDecision d = targetDecision(body);
                if (!d.passes()) {
                    c = new ConnectorRuntime(body.withEnable(false));
                    c.status = new ConnectorStatus(State.DISABLED, d.message());
                    LOG.warn("connector {} disabled at load: {}", body.id(), d.message());
                    connectors.put(body.id(), c);
                    continue;
                }
                c.build();
                connectors.put(body.id(), c);
                c.start();
            } catch (RuleConfigException e) {
                problems.add("connector " + (body == null ? "?" : body.id()) + ": " + e.getMessage());
            }
        }
        for (ActionBody body : state.actions()) {
            try {
                createAction(body);
            } catch (RuleConfigException e) {
                problems.add("action " + (body == null ? "?" : body.id()) + ": " + e.getMessage());
            }
        }
        for (RuleBody body : state.rules()) {
            try {
                createRule(body);
            } catch (RuleConfigException e) {
                problems.add("rule " + (body == null ? "?" : body.id()) + ": " + e.getMessage());
            }
        }
        problems.forEach(p -> LOG.warn("rule engine state: {}", p));
        return problems;
    }

    private void clear() {
        rules.values().forEach(RuleRuntime::close);
        rules.clear();
        publishRules();
        actions.values().forEach(a -> a.queue.close());
        actions.clear();
        connectors.values().forEach(ConnectorRuntime::stop);
        connectors.clear();
    }

    @Override
    public synchronized void close() {
        clear();
        scheduler.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- runtimes

    private final class ConnectorRuntime {
        final ConnectorBody body;
        volatile ConnectorStatus status;
        volatile HttpConnector http;
        volatile MqttBridgeClient mqtt;
        volatile boolean stopped;

        ConnectorRuntime(ConnectorBody body) {
            this.body = body;
            this.status = body.enabled() ? ConnectorStatus.of(State.CONNECTING) : ConnectorStatus.of(State.DISABLED);
        }

        /** Checks and builds the client; nothing connects yet. */
        void build() throws RuleConfigException {
            if (body.type().equals("http")) {
                http = HttpConnector.create(body, group, policy, resolver, s -> {
                    if (!stopped) status = s;
                });
            } else {
                mqtt = MqttBridgeClient.create(body, group, ssrfResolver, bridgeBackoff, s -> {
                    if (!stopped) status = s;
                });
            }
        }

        void start() {
            connectorsView.put(body.id(), this);
            if (!body.enabled()) {
                status = ConnectorStatus.of(State.DISABLED);
                if (mqtt != null) mqtt.close();
                if (http != null) http.close();
                mqtt = null;
                http = null;
                return;
            }
            if (mqtt != null) {
                mqtt.start();
            } else if (http != null) {
                status = ConnectorStatus.of(State.CONNECTING);
                http.probe(); // the health check: its outcome arrives through the status listener
            }
        }

        void stop() {
            stopped = true;
            connectorsView.remove(body.id(), this);
            if (mqtt != null) mqtt.close();
            if (http != null) http.close(); // its pooled connections
        }
    }

    private record ActionRuntime(ActionBody body, DeliveryQueue queue) {
    }

    /** outputs: action ids (String) and inline built-in actions (DeliveryQueue). */
    private record RuleRuntime(RuleBody body, RuleSql sql, List<Object> outputs, RuleMetrics metrics) {
        void close() {
            for (Object o : outputs) if (o instanceof DeliveryQueue q) q.close();
        }
    }

    /** Builds an engine; only the SSRF policy is required. */
    public static final class Builder {
        private Supplier<SsrfPolicy> policy;
        private HostResolver resolver = HostResolver.system();
        private Republisher republisher;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private Duration bridgeBackoff = Duration.ofSeconds(1);
        private int ioThreads = 2;

        /** The current SSRF policy (an {@link io.trellis.security.ssrf.SsrfPolicyHolder}); read at every check and connect. */
        public Builder ssrfPolicy(Supplier<SsrfPolicy> policy) {
            this.policy = policy;
            return this;
        }

        public Builder hostResolver(HostResolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        public Builder republisher(Republisher republisher) {
            this.republisher = republisher;
            return this;
        }

        /** Defaults for every action (resource_opts override buffer, inflight and retries). */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /** First reconnect delay of MQTT bridges (doubling to 30s). */
        public Builder bridgeBackoff(Duration backoff) {
            this.bridgeBackoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        public RuleEngine build() {
            return new RuleEngine(this);
        }
    }
}

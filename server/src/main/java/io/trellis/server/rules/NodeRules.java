package io.trellis.server.rules;

import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.rules.RuleEngine;
import io.trellis.rules.api.EngineState;
import io.trellis.security.ssrf.SsrfPolicy;
import io.trellis.security.ssrf.SsrfPolicyHolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's rule engine: built at start from the config file's SSRF policy and the state persisted
 * under the data dir ({@link RulesStore}), changed through the API, saved after every change.
 *
 * <p>Precedence of the SSRF policy: a policy set through the API ({@code PUT /api/v5/rule_engine})
 * is persisted and wins over {@code rule_engine.ssrf.*} of the config file at the next start (a
 * warning is logged when they differ). State is node-local until the cluster config log exists.
 */
public final class NodeRules implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRules.class);

    private final SsrfPolicyHolder policy;
    private final RuleEngine engine;
    private final RulesStore store;
    private final BrokerRules wiring;
    private RulesStore.SsrfBody ssrfOverride;

    private NodeRules(SsrfPolicyHolder policy, RuleEngine engine, RulesStore store, BrokerRules wiring,
                      RulesStore.SsrfBody ssrfOverride) {
        this.policy = policy;
        this.engine = engine;
        this.store = store;
        this.wiring = wiring;
        this.ssrfOverride = ssrfOverride;
    }

    /** Reads the persisted state and builds the engine; a bad persisted policy falls back to the file's, logged. */
    public static NodeRules start(RuleEngineSettings settings, Path dataDir, Supplier<BrokerAdmin> broker) throws IOException {
        RulesStore store = new RulesStore(dataDir);
        RulesStore.Stored stored = store.read();
        SsrfPolicy initial = settings.ssrfPolicy();
        RulesStore.SsrfBody override = stored == null ? null : stored.ssrf();
        if (override != null) {
            try {
                SsrfPolicy fromApi = merge(initial, override);
                if (!fromApi.toString().equals(initial.toString())) {
                    LOG.warn("rule_engine.ssrf: the policy set through the API (saved in {}) replaces the config file's", store.file());
                }
                initial = fromApi;
            } catch (IllegalArgumentException e) {
                LOG.error("rule_engine.ssrf saved in {} is invalid, using the config file's: {}", store.file(), e.getMessage());
                override = null;
            }
        }
        SsrfPolicyHolder holder = new SsrfPolicyHolder(initial);
        BrokerRules wiring = new BrokerRules(broker);
        RuleEngine engine = RuleEngine.builder().ssrfPolicy(holder).republisher(wiring).build();
        EngineState state = merge(stored == null ? null : stored.engine(), settings.fromFile());
        List<String> problems = engine.load(state);
        problems.forEach(p -> LOG.warn("rules state (config file and {}): {}", store.file(), p));
        wiring.engine(engine);
        return new NodeRules(holder, engine, store, wiring, override);
    }

    /**
     * The API's saved state with the config file's items laid over it: an item defined in the file
     * wins over a saved one with the same id, as EMQX's etc/emqx.conf wins over cluster.hocon.
     */
    static EngineState merge(EngineState saved, EngineState file) {
        if (saved == null) return file;
        java.util.Map<String, io.trellis.rules.api.ConnectorBody> cs = new java.util.LinkedHashMap<>();
        saved.connectors().forEach(x -> cs.put(x.id(), x));
        file.connectors().forEach(x -> cs.put(x.id(), x));
        java.util.Map<String, io.trellis.rules.api.ActionBody> as = new java.util.LinkedHashMap<>();
        saved.actions().forEach(x -> as.put(x.id(), x));
        file.actions().forEach(x -> as.put(x.id(), x));
        java.util.Map<String, io.trellis.rules.api.RuleBody> rs = new java.util.LinkedHashMap<>();
        saved.rules().forEach(x -> rs.put(x.id(), x));
        file.rules().forEach(x -> rs.put(x.id(), x));
        return new EngineState(List.copyOf(cs.values()), List.copyOf(as.values()), List.copyOf(rs.values()));
    }

    /** Applies {@code body} over {@code base}: null fields keep the base's values. */
    public static SsrfPolicy merge(SsrfPolicy base, RulesStore.SsrfBody body) {
        return SsrfPolicy.builder()
                .enable(body.enable() == null ? base.enabled() : body.enable())
                .allowCidrs(body.allow_cidrs() == null ? base.allowCidrs() : body.allow_cidrs())
                .denyCidrs(body.deny_cidrs() == null ? base.denyCidrs() : body.deny_cidrs())
                .denyHosts(body.deny_hosts() == null ? List.copyOf(base.denyHosts()) : body.deny_hosts())
                .build();
    }

    public RuleEngine engine() {
        return engine;
    }

    /** The broker side: install with MqttServer.installPublishListener. */
    public BrokerRules wiring() {
        return wiring;
    }

    public SsrfPolicy policy() {
        return policy.get();
    }

    /** The API's policy update: applies to the next check and connect, no restart; persisted. */
    public synchronized SsrfPolicy updatePolicy(RulesStore.SsrfBody body) {
        SsrfPolicy next = merge(policy.get(), body);
        policy.set(next);
        ssrfOverride = new RulesStore.SsrfBody(next.enabled(), next.allowCidrs(), next.denyCidrs(), List.copyOf(next.denyHosts()));
        persist();
        return next;
    }

    /** Saves the engine's state and the API's policy; called after every successful change. */
    public synchronized void persist() {
        EngineState state = engine.snapshot();
        try {
            store.write(new RulesStore.Stored(ssrfOverride, state));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + store.file() + ": " + e.getMessage()
                    + " (check node.data_dir and its permissions)", e);
        }
    }

    @Override
    public void close() {
        wiring.engine(null);
        engine.close();
    }
}

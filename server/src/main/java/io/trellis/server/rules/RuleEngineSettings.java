package io.trellis.server.rules;

import io.trellis.config.ConfigException;
import io.trellis.config.Keys;
import io.trellis.config.TrellisConfig;
import io.trellis.rules.api.EngineState;
import io.trellis.security.ssrf.SsrfPolicy;
import java.util.List;

/**
 * What the rule engine takes from the node's config file: the SSRF policy
 * ({@code rule_engine.ssrf.*}) and the connectors, actions and rules written there ({@link ConfigFileRules}). CIDRs are parsed strictly here; every bad entry is a config problem
 * naming its key (the config module cannot parse CIDRs itself: the parser lives in security).
 */
public record RuleEngineSettings(SsrfPolicy ssrfPolicy, EngineState fromFile) {

    /** EMQX's defaults (policy off), nothing from a file. */
    public static RuleEngineSettings defaults() {
        return new RuleEngineSettings(SsrfPolicy.defaults(), new EngineState(null, null, null));
    }

    public static RuleEngineSettings from(TrellisConfig c) throws ConfigException {
        EngineState fromFile = ConfigFileRules.read(c);
        try {
            return new RuleEngineSettings(SsrfPolicy.builder()
                    .enable(c.get(Keys.RULE_ENGINE_SSRF_ENABLE))
                    .allowCidrs(c.get(Keys.RULE_ENGINE_SSRF_ALLOW_CIDRS))
                    .denyCidrs(c.get(Keys.RULE_ENGINE_SSRF_DENY_CIDRS))
                    .denyHosts(c.get(Keys.RULE_ENGINE_SSRF_DENY_HOSTS))
                    .build(), fromFile);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(e.getMessage().split("\n")));
        }
    }

    /** The notice check-config prints while the policy is off. */
    public static final String SSRF_DISABLED_NOTICE = "notice: rule_engine.ssrf.enable = false (EMQX's default): connectors"
            + " may target internal addresses and cloud metadata endpoints. Set rule_engine.ssrf.enable = true, and apply"
            + " the egress rules printed by `bin/trellis firewall`.";
}

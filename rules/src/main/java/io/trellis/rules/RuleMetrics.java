package io.trellis.rules;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A rule's counters, EMQX's names: {@code matched} (topic matched), {@code passed} (produced an
 * output), {@code failed} = {@code failed.exception} (evaluation threw) + {@code failed.no_result}
 * (WHERE was not true), {@code actions.total}, {@code actions.success}, {@code actions.failed}.
 */
public final class RuleMetrics {

    final LongAdder matched = new LongAdder();
    final LongAdder passed = new LongAdder();
    final LongAdder failedException = new LongAdder();
    final LongAdder failedNoResult = new LongAdder();
    final LongAdder actionsTotal = new LongAdder();
    final LongAdder actionsSuccess = new LongAdder();
    final LongAdder actionsFailed = new LongAdder();

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("matched", matched.sum());
        m.put("passed", passed.sum());
        m.put("failed", failedException.sum() + failedNoResult.sum());
        m.put("failed.exception", failedException.sum());
        m.put("failed.no_result", failedNoResult.sum());
        m.put("actions.total", actionsTotal.sum());
        m.put("actions.success", actionsSuccess.sum());
        m.put("actions.failed", actionsFailed.sum());
        return m;
    }
}

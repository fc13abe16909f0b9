package io.trellis.rules.action;

import java.util.Map;

/**
 * The seam through which republish actions publish into the local broker; the broker implements
 * it. Called on a rule-engine worker thread, never on the publish path that triggered the rule.
 */
@FunctionalInterface
public interface Republisher {

    /** Publishes a message as if a client had sent it. */
    void republish(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties);
}

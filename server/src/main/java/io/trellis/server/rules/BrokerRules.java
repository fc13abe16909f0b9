package io.trellis.server.rules;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.trellis.mqtt.broker.BrokerAdmin;
import io.trellis.mqtt.broker.Message;
import io.trellis.mqtt.rules.PublishListener;
import io.trellis.rules.RuleEngine;
import io.trellis.rules.RuleInput;
import io.trellis.rules.action.Republisher;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Wires the broker and the rule engine both ways: every published message goes to
 * {@link RuleEngine#onMessagePublished}, and republish actions publish back into the broker.
 *
 * <p><b>No loops</b>: a message published by a republish action does not trigger rules. The
 * republish runs synchronously on the engine's worker thread, which is marked for the duration of
 * the call; the listener skips messages published by a marked thread. So a rule
 * {@code FROM "a/#"} republishing to {@code a/b} cannot feed itself, nor can two rules feed each
 * other. (EMQX lets rules fire on republished messages; Trellis chooses loop safety.) Messages
 * republished carry no user properties: the broker's internal publish takes none yet.
 */
public final class BrokerRules implements PublishListener, Republisher {

    private static final ThreadLocal<Boolean> REPUBLISHING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final Supplier<BrokerAdmin> broker;
    private volatile RuleEngine engine;

    public BrokerRules(Supplier<BrokerAdmin> broker) {
        this.broker = broker;
    }

    public void engine(RuleEngine engine) {
        this.engine = engine;
    }

    @Override
    public void published(Message m) {
        RuleEngine e = engine;
        if (e == null || REPUBLISHING.get()) {
            return;
        }
        e.onMessagePublished(new RuleInput("", m.topic(), m.payload(), m.qos(), m.retain(), m.publisher(), null, null,
                System.currentTimeMillis(), userProperties(m.properties())));
    }

    private static Map<String, String> userProperties(MqttProperties props) {
        if (props == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (MqttProperties.MqttProperty<?> p : props.getProperties(MqttProperties.MqttPropertyType.USER_PROPERTY.value())) {
            if (p instanceof MqttProperties.UserProperties ups) {
                for (MqttProperties.StringPair pair : ups.value()) {
                    out.put(pair.key, pair.value);
                }
            }
        }
        return out;
    }

    @Override
    public void republish(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties) {
        REPUBLISHING.set(Boolean.TRUE);
        try {
            broker.get().publish(topic, payload, qos, retain);
        } finally {
            REPUBLISHING.set(Boolean.FALSE);
        }
    }
}

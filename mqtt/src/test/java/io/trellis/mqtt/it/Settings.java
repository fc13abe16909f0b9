package io.trellis.mqtt.it;

import io.trellis.mqtt.broker.BrokerSettings;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Map;

/**
 * BrokerSettings with some fields changed, by record component name. Reflection keeps these tests
 * compiling when the broker adds fields to the record (its contract allows that).
 */
final class Settings {
    private Settings() {
    }

    static BrokerSettings defaultsWith(Map<String, Object> changes) {
        BrokerSettings defaults = BrokerSettings.defaults();
        RecordComponent[] components = BrokerSettings.class.getRecordComponents();
        for (String name : changes.keySet()) {
            if (Arrays.stream(components).noneMatch(c -> c.getName().equals(name))) {
                throw new IllegalArgumentException("BrokerSettings has no field '" + name + "'");
            }
        }
        try {
            Object[] values = new Object[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                String name = components[i].getName();
                values[i] = changes.containsKey(name) ? changes.get(name) : components[i].getAccessor().invoke(defaults);
            }
            Constructor<BrokerSettings> canonical = BrokerSettings.class.getDeclaredConstructor(types);
            return canonical.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not copy BrokerSettings: " + e, e);
        }
    }
}

package io.trellis.server.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.trellis.mqtt.broker.BrokerAdmin;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus text for {@code GET /api/v5/prometheus/stats}: the broker's metrics as counters
 * ({@code trellis_messages_received_total}), its stats as gauges ({@code trellis_connections_count})
 * and JVM memory. The broker may add names while it runs, so meters are registered at scrape.
 */
final class PrometheusStats {
    private final BrokerAdmin broker;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    PrometheusStats(BrokerAdmin broker) {
        this.broker = broker;
        new JvmMemoryMetrics().bindTo(registry);
    }

    synchronized String scrape() {
        for (String name : broker.metrics().keySet()) {
            if (registered.add("m:" + name)) {
                FunctionCounter.builder("trellis." + name, broker, b -> value(b.metrics(), name))
                        .description("EMQX metric " + name).register(registry);
            }
        }
        for (String name : broker.stats().keySet()) {
            if (registered.add("s:" + name)) {
                Gauge.builder("trellis." + name, broker, b -> value(b.stats(), name))
                        .description("EMQX stat " + name).register(registry);
            }
        }
        return registry.scrape();
    }

    private static double value(Map<String, Long> values, String name) {
        Long v = values.get(name);
        return v == null ? 0 : v;
    }
}

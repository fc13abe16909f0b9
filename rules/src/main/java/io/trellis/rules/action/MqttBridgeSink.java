package io.trellis.rules.action;

import io.trellis.rules.RuleConfigException;
import io.trellis.rules.api.ActionBody;
import io.trellis.rules.connector.Failures;
import io.trellis.rules.connector.MqttBridgeClient;
import io.trellis.rules.template.Template;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** EMQX's {@code mqtt} (egress) action: publishes the rendered message through its bridge connector. */
public final class MqttBridgeSink implements Sink {

    private final Template topic;
    private final Template payload;
    private final Template qos;
    private final Template retain;
    private final Supplier<MqttBridgeClient> client;

    public MqttBridgeSink(ActionBody.Parameters params, Supplier<MqttBridgeClient> client) throws RuleConfigException {
        if (params == null || params.topic() == null || params.topic().isBlank()) {
            throw new RuleConfigException("parameters.topic", "parameters.topic: required, e.g. \"remote/${topic}\"");
        }
        this.topic = Template.parse(params.topic());
        this.payload = Template.parse(params.payload() == null ? "" : params.payload());
        this.qos = Outputs.qosTemplate(params.qos(), "parameters.qos");
        this.retain = Outputs.retainTemplate(params.retain(), "parameters.retain");
        this.client = client;
    }

    @Override
    public CompletableFuture<Void> send(Map<String, Object> fields) {
        MqttBridgeClient c = client.get();
        if (c == null) return CompletableFuture.failedFuture(new NotRetryableException("connector is disabled or not running"));
        return c.publish(Outputs.topic(topic, fields), Outputs.payload(payload, fields).getBytes(StandardCharsets.UTF_8),
                Outputs.qos(qos, fields), Outputs.retain(retain, fields));
    }

    @Override
    public boolean isRetryable(Throwable failure) {
        return Sink.super.isRetryable(failure) && Failures.ssrfRefusal(failure) == null;
    }
}

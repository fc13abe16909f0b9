package io.trellis.rules.action;

import io.trellis.rules.RuleConfigException;
import io.trellis.rules.template.Template;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * EMQX's built-in {@code republish} action: publishes a message rendered from the rule's output
 * into the local broker through the {@link Republisher}, on the given executor.
 */
public final class RepublishSink implements Sink {

    private final Template topic;
    private final Template payload;
    private final Template qos;
    private final Template retain;
    private final Map<String, Template> userProperties;
    private final Republisher republisher;
    private final Executor executor;

    public RepublishSink(Map<String, Object> args, Republisher republisher, Executor executor) throws RuleConfigException {
        Object t = args.get("topic");
        if (!(t instanceof String ts) || ts.isBlank()) {
            throw new RuleConfigException("args.topic", "republish: args.topic is required, e.g. \"repub/${clientid}\"");
        }
        this.topic = Template.parse(ts);
        this.payload = Template.parse(args.get("payload") == null ? "" : args.get("payload").toString());
        this.qos = Outputs.qosTemplate(args.get("qos"), "args.qos");
        this.retain = Outputs.retainTemplate(args.get("retain"), "args.retain");
        Map<String, Template> props = new LinkedHashMap<>();
        if (args.get("user_properties") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> props.put(String.valueOf(k), Template.parse(String.valueOf(v))));
        }
        this.userProperties = props;
        this.republisher = Objects.requireNonNull(republisher, "republisher");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    @Override
    public CompletableFuture<Void> send(Map<String, Object> fields) {
        return CompletableFuture.runAsync(() -> {
            Map<String, String> props = new LinkedHashMap<>();
            userProperties.forEach((k, v) -> props.put(k, v.render(fields)));
            republisher.republish(Outputs.topic(topic, fields), Outputs.payload(payload, fields).getBytes(StandardCharsets.UTF_8),
                    Outputs.qos(qos, fields), Outputs.retain(retain, fields), props);
        }, executor);
    }
}

package io.trellis.rules.sql;

import io.trellis.rules.RuleInput;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The columns of one message for one rule evaluation: EMQX's {@code message.publish} event
 * fields. The payload is decoded as JSON at most once, on first nested access
 * ({@code payload.a.b}). Aliases selected earlier in the SELECT list are visible to later fields
 * and to WHERE, as in EMQX. Not thread-safe: one per evaluation.
 */
public final class EvalContext {

    private final RuleInput input;
    private final Map<String, Object> aliases = new LinkedHashMap<>();
    private String payloadText;
    private Object payloadJson;
    private boolean payloadDecoded;

    public EvalContext(RuleInput input) {
        this.input = input;
    }

    public RuleInput input() {
        return input;
    }

    void defineAlias(String name, Object value) {
        aliases.put(name, value);
    }

    private String payloadText() {
        if (payloadText == null) payloadText = input.payloadText();
        return payloadText;
    }

    /** JSON-decodes text for path access; the payload's decode is cached. */
    Object decodeJson(String text) {
        if (text == payloadText) {
            if (!payloadDecoded) {
                payloadJson = Values.tryJsonDecode(text);
                payloadDecoded = true;
            }
            return payloadJson;
        }
        return Values.tryJsonDecode(text);
    }

    Object lookup(String name) {
        if (aliases.containsKey(name)) return aliases.get(name);
        return column(name);
    }

    /** A message column by name, or null when there is no such column. */
    public Object column(String name) {
        return switch (name) {
            case "payload" -> payloadText();
            case "topic" -> input.topic();
            case "qos" -> (long) input.qos();
            case "clientid" -> input.clientid();
            case "username" -> input.username();
            case "peerhost" -> input.peerhost();
            case "timestamp", "publish_received_at" -> input.timestamp();
            case "id" -> input.id();
            case "event" -> "message.publish";
            case "flags" -> Map.of("retain", input.retain(), "dup", false);
            case "pub_props" -> pubProps();
            default -> null;
        };
    }

    private Map<String, Object> pubProps() {
        Map<String, Object> props = new LinkedHashMap<>();
        if (!input.userProperties().isEmpty()) props.put("User-Property", new LinkedHashMap<>(input.userProperties()));
        return props;
    }

    /** What {@code SELECT *} gives. */
    Map<String, Object> allColumns() {
        Map<String, Object> all = new LinkedHashMap<>();
        for (String c : new String[] {"id", "clientid", "username", "payload", "peerhost", "topic", "qos", "flags",
                "pub_props", "timestamp", "publish_received_at", "event"}) {
            all.put(c, column(c));
        }
        return all;
    }
}

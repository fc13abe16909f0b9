package io.trellis.rules.action;

import io.trellis.rules.RuleConfigException;
import io.trellis.rules.sql.Values;
import io.trellis.rules.template.Template;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turning templates and loosely typed parameters into a message's topic, payload, QoS, retain. */
public final class Outputs {

    private Outputs() {
    }

    /** An empty payload template sends all selected fields as JSON (EMQX). */
    public static String payload(Template template, Map<String, Object> fields) {
        return template.isEmpty() ? Values.jsonEncode(fields) : template.render(fields);
    }

    /** A topic name rendered from a template; no wildcards, not empty. */
    public static String topic(Template template, Map<String, Object> fields) {
        String topic = template.render(fields);
        if (topic.isEmpty() || topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0 || topic.indexOf('\0') >= 0) {
            throw new NotRetryableException("rendered topic '" + topic + "' is not a valid topic name (template " + template + ")");
        }
        return topic;
    }

    /** A QoS parameter: a number 0..2 or a template such as {@code ${qos}}. */
    public static Template qosTemplate(Object qos, String field) throws RuleConfigException {
        if (qos == null) return Template.parse("0");
        String text = qos.toString();
        Template t = Template.parse(text);
        if (t.isConstant() && !List.of("0", "1", "2").contains(text)) {
            throw new RuleConfigException(field, field + ": must be 0, 1, 2 or a placeholder such as ${qos}, got " + text);
        }
        return t;
    }

    public static int qos(Template template, Map<String, Object> fields) {
        String text = template.render(fields);
        return switch (text) {
            case "0" -> 0;
            case "1" -> 1;
            case "2" -> 2;
            default -> throw new NotRetryableException("rendered QoS '" + text + "' is not 0, 1 or 2 (template " + template + ")");
        };
    }

    /** A retain parameter: true/false or a template such as {@code ${flags.retain}}. */
    public static Template retainTemplate(Object retain, String field) throws RuleConfigException {
        if (retain == null) return Template.parse("false");
        String text = retain.toString();
        Template t = Template.parse(text);
        if (t.isConstant() && !List.of("true", "false").contains(text.toLowerCase(Locale.ROOT))) {
            throw new RuleConfigException(field, field + ": must be true, false or a placeholder such as ${flags.retain}, got " + text);
        }
        return t;
    }

    public static boolean retain(Template template, Map<String, Object> fields) {
        String text = template.render(fields).toLowerCase(Locale.ROOT);
        return switch (text) {
            case "true", "1" -> true;
            case "false", "0", "" -> false;
            default -> throw new NotRetryableException("rendered retain '" + text + "' is not true or false (template " + template + ")");
        };
    }
}

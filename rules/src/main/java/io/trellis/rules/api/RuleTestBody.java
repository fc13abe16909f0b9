package io.trellis.rules.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * EMQX's {@code POST /api/v5/rule_test} body: {@code sql} and {@code context} with the message
 * fields ({@code topic}, {@code payload}, {@code qos}, {@code clientid}, {@code username},
 * {@code peerhost}, {@code timestamp}, {@code flags}, {@code pub_props}).
 */
public record RuleTestBody(String sql, Map<String, Object> context) {
}

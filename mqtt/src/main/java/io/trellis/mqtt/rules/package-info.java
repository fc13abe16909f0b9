/**
 * The seam between the broker and the rule engine: {@link io.trellis.mqtt.rules.PublishListener},
 * installed with {@code MqttServer.installPublishListener}. The mqtt module does not depend on
 * the rules module; the server wires the two.
 */
package io.trellis.mqtt.rules;

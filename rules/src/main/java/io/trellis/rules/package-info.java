/**
 * The rule engine: SQL-like rules over messages, actions (republish, HTTP webhook, MQTT bridge)
 * and the connectors that hold outbound endpoints, every dial going through the SSRF policy.
 */
package io.trellis.rules;

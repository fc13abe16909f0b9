/**
 * Black-box interop and robustness tests: real clients (Paho v3 and v5, HiveMQ, mosquitto_pub /
 * mosquitto_sub, mqtt.js under node) and raw sockets against a broker started through the public
 * {@code MqttServer} API ({@link io.trellis.mqtt.it.TestBroker}: tcp, ssl, ws, wss on random ports,
 * a throw-away CA).
 *
 * <p>Run: {@code mvn -o -B -pl mqtt -am test -Dtest='**}{@code /it/*Test' -Dsurefire.failIfNoSpecifiedTests=false}.
 * External tools: mosquitto-clients (apt) and node with {@code npm ci --prefix mqtt/src/test/js};
 * missing tools skip the test locally and fail it when {@code CI=true} ({@link io.trellis.mqtt.it.ExternalTools}).
 *
 * <p>To check a test rather than the broker, add {@code -Dtrellis.it.reference=mosquitto}: the
 * same tests run against a local mosquitto 2.0 (Debian package mosquitto). Known differences
 * there, where these tests follow the MQTT spec and EMQX: no DISCONNECT 0x8E on takeover, 0x81
 * instead of 0x94 for topic alias 0, no idle timeout before CONNECT, no client id limit, invalid
 * filters close the connection instead of a failure SUBACK, any WebSocket path accepted, large
 * messages over WebSocket, offline queue limit not applied.
 */
package io.trellis.mqtt.it;

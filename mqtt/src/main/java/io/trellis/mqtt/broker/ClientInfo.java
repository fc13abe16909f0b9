package io.trellis.mqtt.broker;

/**
 * A snapshot of one client, with the fields of EMQX's {@code GET /api/v5/clients} the REST API
 * serves (it converts names to EMQX's snake_case). CONTRACT: add fields, do not remove.
 */
public record ClientInfo(
        String clientId,
        String username,       // null if none
        String ipAddress,
        int port,
        String listener,       // "tcp:default"
        boolean connected,     // false for a persistent session whose client is away
        String protoName,      // "MQTT" or "MQIsdp"
        int protoVer,          // 3, 4 or 5
        int keepalive,         // seconds
        boolean cleanStart,
        long expiryInterval,   // seconds
        long connectedAt,      // epoch millis
        long disconnectedAt,   // epoch millis, 0 while connected
        int subscriptionsCnt,
        int inflightCnt,
        int mqueueLen,
        long mqueueDropped,
        long recvMsg,
        long sendMsg) {
}

/**
 * The seam between the MQTT connection and the node's authentication and authorization: the
 * connection asks {@link io.trellis.mqtt.auth.AccessControl} at CONNECT (asynchronously, so a slow
 * backend never blocks an event loop), at every PUBLISH and SUBSCRIBE, and before a will is sent.
 * {@link io.trellis.mqtt.auth.AccessControl#ALLOW_ALL} is the broker's default until the server
 * installs the configured {@link io.trellis.mqtt.auth.NodeAccessControl}.
 */
package io.trellis.mqtt.auth;

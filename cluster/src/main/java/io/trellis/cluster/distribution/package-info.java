/**
 * The distribution channel: full-mesh membership over authenticated connections, heartbeats,
 * node-down detection, reconnection, join and leave.
 */
package io.trellis.cluster.distribution;

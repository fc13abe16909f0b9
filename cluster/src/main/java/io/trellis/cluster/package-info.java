/**
 * The cluster: node names and ports, the cookie handshake on both inter-node channels
 * (distribution and cluster RPC), membership, route replication and message forwarding.
 */
package io.trellis.cluster;

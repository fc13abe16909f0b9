/**
 * The cluster RPC channel: authenticated connections that carry forwarded messages,
 * {@code rpc.client_num} per peer, a message's connection picked by hash of its topic so that
 * per-topic order holds. The payload format belongs to forwarding (next step); this package moves
 * opaque frames.
 */
package io.trellis.cluster.rpc;

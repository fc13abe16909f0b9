/**
 * The cluster RPC channel: authenticated connections that carry forwarded messages,
 * {@code rpc.client_num} per peer, a message's connection picked by hash of its topic so that
 * per-topic order holds. The payload format belongs to {@code io.trellis.cluster.forward}; this package
 * moves opaque frames (and the receiver's answers on the same connection).
 */
package io.trellis.cluster.rpc;

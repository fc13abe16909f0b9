/**
 * Message forwarding over the cluster RPC channel: FORWARD batches and their ACKs
 * ({@link io.trellis.cluster.forward.ForwardFrame}), one {@link io.trellis.cluster.forward.PeerForwarder}
 * per peer (per-topic lanes, batching, bounded backpressure, acknowledgement and resend), and
 * {@link io.trellis.cluster.forward.ForwardReceiver} delivering into the local broker.
 */
package io.trellis.cluster.forward;

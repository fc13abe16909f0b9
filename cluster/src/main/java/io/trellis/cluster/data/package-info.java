/**
 * The data plane replicated over the distribution channel, in {@link io.trellis.cluster.data.DataMessage}s
 * (versioned, inside distribution's DATA frame):
 * <ul>
 * <li>Routes: each node owns its routes ({@link io.trellis.cluster.data.LocalRoutes}: a sequence
 *     number per change, deltas in order, a full copy on (re)connect and on request after a gap);
 *     peers hold read-only replicas ({@link io.trellis.cluster.data.RemoteRoutes}), dropped when
 *     the owner goes down or leaves. Shared subscriptions travel as (group, filter).</li>
 * <li>Retained messages: set and delete stamped and replicated, full copy on (re)connect, last
 *     writer wins per topic ({@link io.trellis.cluster.data.RetainedReplica}).</li>
 * <li>Client registry and takeover: CLIENT_REGISTERED on every connect; a node where a
 *     registered client id connects asks the registering node for the session (TAKEOVER_REQUEST),
 *     which disconnects its client with 0x8E and ships subscriptions, queued and in-flight
 *     messages (TAKEOVER_REPLY). Limits: the registry is eventually consistent, so two nodes
 *     that see the same client id connect at the same moment may both keep a session; entries
 *     are dropped only when their node goes down (not when a session ends); a takeover that
 *     gets no answer within 5 s continues without the old session; QoS 2 packet-id state
 *     (awaiting PUBREL) does not move.</li>
 * </ul>
 */
package io.trellis.cluster.data;

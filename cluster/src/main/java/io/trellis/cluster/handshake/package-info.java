/**
 * The mutual cookie handshake that opens every connection of both inter-node channels
 * (DESIGN.md "The two inter-node channels"): frames, transcript and MAC, the per-role Netty
 * handlers, typed failures and the rate-limited refusal log.
 */
package io.trellis.cluster.handshake;

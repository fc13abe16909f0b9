/**
 * The cluster configuration log (EMQX's cluster.hocon with transaction ids): an ordered,
 * persisted, replicated list of config changes, applied in order on every node by one applier per
 * kind ("rules", later "users"). etc/trellis.conf stays node-local and read-only.
 *
 * <p>Consistency model. A change is proposed to the sequencer: the lowest-named node among the
 * proposer and the peers it sees up. The sequencer gives it the next tnx id, forces it to disk,
 * applies it, sends it to every peer up, and answers the proposer (which applies it before its
 * API call returns). Every node applies entries strictly in tnx order; an entry after a gap waits
 * while the missing ones are fetched ("give me entries after N"), and every node tells its peers
 * its last tnx id on connect and after each entry, so a node that was down or joins later catches
 * up from any peer that is ahead. A change made while a node is unreachable commits on the
 * reachable nodes and names the lagging node (status shows it until it has caught up).
 *
 * <p>Limits. The sequencer commits only if it sees a majority of the nodes it knows (itself
 * included): of two halves of a split cluster at most one can change the configuration, so the
 * logs cannot fork by a partition alone; a 2-node cluster with one node down cannot change its
 * configuration until the node is back or force-left. The majority is of the nodes each side
 * knows, so a force-leave on both halves, or two sequencers in the moment the membership view
 * changes, can still give the same tnx id to two changes: a node then reports the divergence
 * (status and an ERROR log) and keeps its own entry; there is no automatic merge. A sequencer that
 * is behind a peer it sees catches up before giving out ids. The log is never compacted (config
 * changes are few); an entry that fails to apply on a node fails there the same way (the state is
 * the same) and is logged.
 */
package io.trellis.cluster.conf;

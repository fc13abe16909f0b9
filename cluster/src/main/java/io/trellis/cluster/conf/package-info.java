/**
 * The cluster configuration log (EMQX's cluster.hocon with transaction ids): an ordered,
 * persisted, replicated list of config changes, applied in order on every node by one applier per
 * kind ("rules", "users", "banned"). etc/trellis.conf stays node-local and read-only.
 *
 * <p>Consistency model: a small majority commit (Raft's log rule without its elections), enough
 * for a low-rate log. A change is proposed to the sequencer: the lowest-named node among the
 * proposer and the peers it sees up. The sequencer refuses unless it sees a majority of the nodes
 * it knows (itself included), gives the change the next tnx id, forces it to disk as
 * <em>pending</em> and sends it to every peer up (APPEND); a peer whose log it follows forces it
 * to disk as pending and acknowledges. With acknowledgements from a majority of the known nodes
 * (itself counted) the sequencer marks it committed on disk, applies it, answers the proposer and
 * tells the peers its committed id (TNX_STATUS); peers apply only committed entries, in tnx order.
 * One entry is pending at a time; the next proposal waits. Without a majority within half the
 * change timeout the sequencer discards the entry, tells the peers to discard it (DISCARD), and
 * the proposer gets the "majority" failure: nothing is applied anywhere. A later entry with the
 * same id replaces an uncommitted one, so a sequencer cut off right after proposing cannot keep
 * the majority side from committing another change at that id; after the heal its pending entry
 * is replaced by the committed one.
 *
 * <p>Divergence: every entry has a SHA-256 chained over the previous entry's hash. Nodes exchange
 * their last committed (id, hash) on connect and after each commit, and an APPEND is checked
 * against the chain; committed entries that differ are reported (ERROR once per id, and in
 * {@code ctl conf cluster_sync status}) and kept: there is no automatic merge. A node behind fetches
 * the committed entries after its own ("give me entries after N"); a sequencer behind a peer it
 * sees catches up before giving out ids. A change made while a node is unreachable commits on the
 * others and names the lagging node.
 *
 * <p>Not guaranteed (what full Raft adds): the majority is of the nodes each node knows, so a
 * force-leave on both halves of a split, or two sequencers in the moment the membership view
 * changes, can still commit two changes at one id (reported as above). A sequencer change while an
 * entry is pending: the new sequencer gives that id to its next change and does not adopt the old
 * one's entry; if the old sequencer had counted its majority but the commit did not reach the
 * others before it was cut off, the two committed logs differ (reported). A proposer's 503 "no
 * answer" (as opposed to "not committed") may hide a committed change. The log is never compacted;
 * an entry that fails to apply on a node fails there the same way (the state is the same) and is
 * logged.
 */
package io.trellis.cluster.conf;

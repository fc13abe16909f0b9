package io.trellis.cluster.conf;

import io.trellis.cluster.NodeName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster configuration log: changes made at runtime (API, CLI) in one order on every node,
 * as EMQX's cluster.hocon with its transaction ids. See package-info for the consistency model.
 *
 * <p>Confinement: every state change runs on the log's one thread; callers only submit.
 */
public final class ConfLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfLog.class);
    /** Entries per catch-up reply; more come on the next request. */
    static final int CATCHUP_BATCH = 500;

    /** Applies one committed entry to this node's state; the result goes back to the API call that made it. */
    @FunctionalInterface
    public interface Applier {
        Object apply(ConfEntry entry) throws Exception;
    }

    /** A committed change: its id, the local applier's result, the nodes that did not get it yet. */
    public record Committed(long tnxId, Object result, Set<String> lagging) {
    }

    /** One row of {@code conf cluster_sync status}: a node's last tnx id, -1 when unknown. */
    public record NodeTnx(String node, long tnxId, boolean running, boolean lagging) {
    }

    /** Why a change was not committed, or why the local apply failed (the change is committed then). */
    public static final class ChangeFailedException extends RuntimeException {
        private final boolean committed;

        ChangeFailedException(String message, Throwable cause, boolean committed) {
            super(message, cause);
            this.committed = committed;
        }

        /** True when the change is in the log and only this node's apply failed. */
        public boolean committed() {
            return committed;
        }
    }

    private record Waiting(CompletableFuture<Committed> future, Set<String> lagging) {
    }

    /** The sequencer's entry waiting for a majority of acknowledgements (one at a time). */
    private static final class InFlight {
        final ConfEntry entry;
        final byte[] hash;
        final NodeName proposer;
        final long requestId;
        final int needed;
        final int total;
        final Set<String> lagging;
        final Set<NodeName> acked = new HashSet<>();
        ScheduledFuture<?> timer;

        InFlight(ConfEntry entry, byte[] hash, NodeName proposer, long requestId, int needed, int total, Set<String> lagging) {
            this.entry = entry;
            this.hash = hash;
            this.proposer = proposer;
            this.requestId = requestId;
            this.needed = needed;
            this.total = total;
            this.lagging = lagging;
        }
    }

    private final NodeName self;
    private final ConfLogFile file;
    private final Duration timeout;
    private final ScheduledExecutorService thread;
    private final Map<String, Applier> appliers = new ConcurrentHashMap<>();
    // Log-thread state; the lists are also read (synchronized on entries) by other threads.
    private final List<ConfEntry> entries;
    private final List<byte[]> hashes;
    private final Map<Long, Waiting> proposals = new HashMap<>();
    private final Map<Long, Object> results = new HashMap<>();
    private final Map<Long, Waiting> awaitingApply = new HashMap<>();
    private final Map<NodeName, Long> peerTnx = new ConcurrentHashMap<>();
    private final List<Runnable> deferred = new ArrayList<>();
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    private final Set<Long> divergentIds = new HashSet<>();
    private InFlight inFlight;
    private volatile long committed;
    private volatile long applied;
    private volatile String divergence;
    private volatile ConfTransport transport;
    private long nextRequest;

    /**
     * Opens (or creates) the log under {@code dir}; a torn last record is cut off and logged at
     * WARN. Nothing is applied until {@link #start}.
     */
    public ConfLog(NodeName self, Path dir, Duration timeout) throws IOException, ConfLogCorruptException {
        this.self = self;
        this.file = ConfLogFile.open(dir);
        this.timeout = timeout;
        this.entries = new ArrayList<>(file.entries());
        this.hashes = new ArrayList<>(file.hashes());
        this.committed = file.committed();
        this.applied = file.readApplied();
        if (file.recovery() != null) {
            LOG.warn("{}", file.recovery());
        }
        if (entries.size() > committed) {
            LOG.info("cluster config log: tnx {}..{} not known to be committed (kept pending until the sequencer or a"
                    + " peer's committed log decides)", committed + 1, entries.size());
        }
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trellis-conf-log");
            t.setDaemon(true);
            return t;
        });
    }

    public NodeName self() {
        return self;
    }

    /** What was repaired when the file was opened (a torn last record cut off), or null. */
    public String recovery() {
        return file.recovery();
    }

    /** Registers the applier of {@code kind}; before {@link #start}. */
    public void register(String kind, Applier applier) {
        appliers.put(kind, applier);
    }

    /**
     * Applies the committed entries not yet applied (after the {@code applied} mark), then
     * listens to the peers and tells them this node's last tnx id (a peer ahead sends what is missing).
     */
    public void start(ConfTransport t) {
        this.transport = t;
        run(() -> {
            applyPending();
            t.listen(new ConfTransport.Listener() {
                @Override
                public void received(NodeName from, byte[] body) {
                    onLogThread(() -> handle(from, body));
                }

                @Override
                public void peerUp(NodeName peer) {
                    onLogThread(() -> t.send(peer, statusMessage()));
                }
            });
            byte[] status = statusMessage();
            for (NodeName p : t.upNodes()) {
                t.send(p, status);
            }
        }).join();
    }

    /** Runs on the log's thread; dropped once the log is closed (the node is stopping). */
    private void onLogThread(Runnable r) {
        try {
            thread.execute(r);
        } catch (RejectedExecutionException closed) {
            LOG.debug("cluster config log closed: a peer message is dropped");
        }
    }

    /** The last committed tnx id in this node's log (0: empty); a pending entry is not counted. */
    public long lastTnx() {
        return committed;
    }

    /** The entries on this node's disk waiting to be committed or discarded (0 or 1, rarely more). */
    public List<ConfEntry> pending() {
        synchronized (entries) {
            return List.copyOf(entries.subList((int) committed, entries.size()));
        }
    }

    /** The tnx id up to which this node's state is applied. */
    public long appliedTnx() {
        return applied;
    }

    /** A copy of the committed log (tests, inspection). */
    public List<ConfEntry> entries() {
        synchronized (entries) {
            return List.copyOf(entries.subList(0, (int) committed));
        }
    }

    /** The sequencer this node would propose to now: the lowest name among itself and the peers up. */
    public NodeName sequencer() {
        ConfTransport t = transport;
        TreeSet<NodeName> up = new TreeSet<>(Comparator.comparing(NodeName::toString));
        up.add(self);
        if (t != null) {
            up.addAll(t.upNodes());
        }
        return up.first();
    }

    /** A conflict seen between this log's committed entries and a peer's (same tnx id, different change), or null. */
    public String divergence() {
        return divergence;
    }

    /** Every node's last tnx id as this node knows it (peers report theirs on connect and after each entry). */
    public List<NodeTnx> status() {
        List<NodeTnx> rows = new ArrayList<>();
        long mine = lastTnx();
        long newest = mine;
        ConfTransport t = transport;
        Set<NodeName> up = t == null ? Set.of() : t.upNodes();
        Set<NodeName> known = new TreeSet<>(Comparator.comparing(NodeName::toString));
        if (t != null) {
            known.addAll(t.knownNodes());
            known.addAll(up);
        }
        for (NodeName n : known) {
            if (up.contains(n)) {
                newest = Math.max(newest, peerTnx.getOrDefault(n, -1L));
            }
        }
        rows.add(new NodeTnx(self.toString(), mine, true, mine < newest));
        for (NodeName n : known) {
            boolean isUp = up.contains(n);
            long tnx = peerTnx.getOrDefault(n, -1L);
            rows.add(new NodeTnx(n.toString(), tnx, isUp, !isUp || tnx < newest));
        }
        return rows;
    }

    /**
     * Proposes a change: the sequencer gives it the next tnx id, keeps it pending on its disk and
     * sends it to every node up; once a majority of the nodes it knows (itself included) has it on
     * disk, it is committed, applied everywhere in tnx order, and this call completes once this
     * node has applied it, with the applier's result. Fails (nothing committed, the pending entry
     * discarded) when no majority acknowledges it within half the timeout, when the sequencer
     * refuses (no majority of the known nodes up), or when no sequencer answers within the
     * timeout; fails with {@link ChangeFailedException#committed()} when committed but this node's
     * apply threw.
     */
    public CompletableFuture<Committed> submit(String kind, byte[] payload) {
        if (!appliers.containsKey(kind)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no applier for config kind " + kind));
        }
        if (payload.length > ConfEntry.MAX_PAYLOAD) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a config change of " + payload.length
                    + " bytes is larger than " + ConfEntry.MAX_PAYLOAD));
        }
        CompletableFuture<Committed> result = new CompletableFuture<>();
        thread.execute(() -> {
            long id = ++nextRequest;
            Waiting w = new Waiting(result, Set.of());
            proposals.put(id, w);
            thread.schedule(() -> {
                if (proposals.remove(id) != null) {
                    result.completeExceptionally(new ChangeFailedException("no answer from the config sequencer "
                            + sequencer() + " within " + timeout.toSeconds() + "s: the change is not confirmed (if the"
                            + " sequencer made it, it reaches this node later; see ctl conf cluster_sync status)", null, false));
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            NodeName seq = sequencer();
            if (seq.equals(self)) {
                propose(self, id, kind, payload);
            } else if (!transport.send(seq, new ConfMessage.ProposeV1(id, kind, payload).encode())) {
                proposals.remove(id);
                result.completeExceptionally(new ChangeFailedException("the config sequencer " + seq
                        + " is not reachable; the change was not made", null, false));
            }
        });
        return result;
    }

    // ------------------------------------------------------------------ log thread

    private CompletableFuture<Void> run(Runnable r) {
        return CompletableFuture.runAsync(r, thread);
    }

    private void handle(NodeName from, byte[] body) {
        ConfMessage m;
        try {
            m = ConfMessage.decode(body);
        } catch (ConfMessage.Malformed e) {
            LOG.warn("ignoring a config log message from {}: {}", from, e.getMessage());
            return;
        }
        try {
            if (m instanceof ConfMessage.ProposeV1 p) {
                propose(from, p.requestId(), p.kind(), p.payload());
            } else if (m instanceof ConfMessage.ProposeResultV1 r) {
                proposalAnswered(r.requestId(), r.tnxId(), r.error(), Set.copyOf(r.lagging()));
            } else if (m instanceof ConfMessage.AppendV1 a) {
                appended(from, a);
            } else if (m instanceof ConfMessage.AppendAckV1 a) {
                acknowledged(from, a);
            } else if (m instanceof ConfMessage.DiscardV1 d) {
                // only that entry (not one a newer sequencer sent since), and not this node's own in flight
                if (inFlight == null && d.tnxId() > committed && d.tnxId() <= entriesSize()
                        && Arrays.equals(hashAt(d.tnxId()), d.hash())) {
                    discardFrom(d.tnxId(), "the sequencer " + from + " got no majority for it");
                }
            } else if (m instanceof ConfMessage.EntryV1 e) {
                receivedCommitted(from, e.entry()); // a node of the version before majority commits
            } else if (m instanceof ConfMessage.CatchupRequestV1 c) {
                List<ConfEntry> batch;
                synchronized (entries) {
                    int end = (int) committed;
                    int from0 = (int) Math.min(Math.max(c.after(), 0), end);
                    batch = List.copyOf(entries.subList(from0, Math.min(end, from0 + CATCHUP_BATCH)));
                }
                transport.send(from, new ConfMessage.CatchupReplyV1(batch).encode());
            } else if (m instanceof ConfMessage.CatchupReplyV1 c) {
                for (ConfEntry e : c.entries()) {
                    if (!receivedCommitted(from, e)) {
                        break;
                    }
                }
                if (peerTnx.getOrDefault(from, 0L) > committed && !c.entries().isEmpty()) {
                    transport.send(from, new ConfMessage.CatchupRequestV1(committed).encode());
                }
            } else if (m instanceof ConfMessage.TnxStatusV1 s) {
                peerStatus(from, s.lastTnx(), null);
            } else if (m instanceof ConfMessage.TnxStatusV2 s) {
                peerStatus(from, s.committedTnx(), s.hash());
            }
        } catch (RuntimeException e) {
            LOG.error("config log message from {} failed", from, e);
        }
    }

    /** A peer's last committed id (and its chain hash, null from an older node). */
    private void peerStatus(NodeName from, long tnx, byte[] hash) {
        peerTnx.put(from, tnx);
        if (tnx > committed) {
            if (hash != null && tnx <= entriesSize() && Arrays.equals(hashAt(tnx), hash)) {
                commitUpTo(tnx); // the pending entries here are the ones the peer has committed
            } else {
                transport.send(from, new ConfMessage.CatchupRequestV1(committed).encode());
            }
            return;
        }
        if (hash != null && !Arrays.equals(hashAt(tnx), hash)) {
            reportDivergence(from, tnx, "the committed logs of " + self + " and " + from + " differ at or before tnx " + tnx
                    + " (their chain hashes differ)");
        }
        if (tnx < committed) {
            // it may not know we are ahead (our STATUS went out before it listened)
            transport.send(from, statusMessage());
        }
        InFlight f = inFlight;
        if (f != null && tnx == f.entry.tnxId() - 1 && !f.acked.contains(from)) {
            // it caught up to just before the pending entry: send it again so it can acknowledge
            transport.send(from, new ConfMessage.AppendV1(committed, f.entry, f.hash).encode());
        }
        runDeferred();
    }

    /** Sequencer side of a proposal from {@code from} (possibly this node). */
    private void propose(NodeName from, long requestId, String kind, byte[] payload) {
        NodeName seq = sequencer();
        if (!seq.equals(self)) {
            answer(from, requestId, 0, "node " + self + " is not the config sequencer (" + seq + " is); try again", Set.of());
            return;
        }
        Set<NodeName> up = transport.upNodes();
        Set<NodeName> known = new TreeSet<>(Comparator.comparing(NodeName::toString));
        known.addAll(transport.knownNodes());
        known.addAll(up);
        int total = known.size() + 1;
        int reachable = up.size() + 1;
        if (reachable * 2 <= total) {
            answer(from, requestId, 0, "only " + reachable + " of " + total + " known nodes are reachable from the config"
                    + " sequencer " + self + "; a change needs a majority (" + (total / 2 + 1) + ") so that two halves of a"
                    + " split cluster cannot both change the configuration; bring the other nodes back or force-leave them",
                    Set.of());
            return;
        }
        long ahead = up.stream().mapToLong(n -> peerTnx.getOrDefault(n, 0L)).max().orElse(0);
        if (ahead > committed || inFlight != null) {
            // A peer has entries this node has not (catch up first), or an entry waits for its
            // majority (one at a time): then give out the next id; but never after the proposer
            // has given up (it answered its caller "not confirmed").
            long giveUpAt = System.nanoTime() + timeout.toNanos() / 4;
            Runnable retry = () -> {
                if (System.nanoTime() - giveUpAt > 0) {
                    answer(from, requestId, 0, "the config sequencer " + self + " could not catch up with its peers or"
                            + " commit the change before it in time; the change was not made, try again", Set.of());
                } else {
                    propose(from, requestId, kind, payload);
                }
            };
            if (inFlight != null) {
                queued.add(retry);
            } else {
                deferred.add(retry);
            }
            return;
        }
        long tnx = committed + 1;
        discardFrom(tnx, "the sequencer " + self + " gives tnx " + tnx + " to a new change");
        ConfEntry entry = new ConfEntry(tnx, from.toString(), System.currentTimeMillis(), kind, payload);
        byte[] hash = entry.chainHash(hashAt(tnx - 1));
        appendEntry(entry, hash, false);
        Set<String> lagging = new TreeSet<>();
        for (NodeName n : known) {
            if (!up.contains(n)) {
                lagging.add(n.toString());
            }
        }
        InFlight f = new InFlight(entry, hash, from, requestId, total / 2 + 1, total, lagging);
        inFlight = f;
        byte[] msg = new ConfMessage.AppendV1(committed, entry, hash).encode();
        for (NodeName p : up) {
            transport.send(p, msg);
        }
        if (f.needed <= 1) {
            commitUpTo(tnx); // a node alone
            return;
        }
        f.timer = thread.schedule(() -> noMajority(f), timeout.toMillis() / 2, TimeUnit.MILLISECONDS);
    }

    /** The sequencer's pending entry did not reach a majority in time: discarded here and on the peers. */
    private void noMajority(InFlight f) {
        if (inFlight != f) {
            return;
        }
        inFlight = null;
        long tnx = f.entry.tnxId();
        String why = "config change " + f.entry + " not committed: only " + (f.acked.size() + 1) + " of " + f.total
                + " known nodes had it on disk within " + timeout.toMillis() / 2 + "ms; a change needs a majority ("
                + f.needed + ") so that two halves of a split cluster cannot both change the configuration; the change was"
                + " not made, try again when the nodes reach each other";
        LOG.warn("{}", why);
        discardFrom(tnx, "no majority acknowledged it");
        byte[] msg = new ConfMessage.DiscardV1(tnx, f.hash).encode();
        for (NodeName p : transport.upNodes()) {
            transport.send(p, msg);
        }
        answer(f.proposer, f.requestId, 0, why, Set.of());
        thread.execute(this::runQueued);
    }

    /** Sequencer: a peer has the pending entry on disk. */
    private void acknowledged(NodeName from, ConfMessage.AppendAckV1 ack) {
        InFlight f = inFlight;
        if (f == null || f.entry.tnxId() != ack.tnxId() || !Arrays.equals(f.hash, ack.hash())) {
            return; // late, or for an entry discarded since
        }
        f.acked.add(from);
        if (f.acked.size() + 1 >= f.needed) {
            commitUpTo(f.entry.tnxId());
        }
    }

    /** Peer: the sequencer's new entry, kept pending (and acknowledged) if it follows this node's log. */
    private void appended(NodeName from, ConfMessage.AppendV1 a) {
        ConfEntry e = a.entry();
        long tnx = e.tnxId();
        if (tnx <= committed) {
            if (Arrays.equals(hashAt(tnx), a.hash())) {
                transport.send(from, new ConfMessage.AppendAckV1(tnx, a.hash()).encode());
            } else {
                reportDivergence(from, tnx, "the sequencer " + from + " sent " + e + ", which differs from the committed"
                        + " tnx " + tnx + " on " + self);
            }
            return;
        }
        if (tnx > entriesSize() + 1) {
            // a gap: fetch the committed entries first; the sequencer sends this one again after that
            transport.send(from, new ConfMessage.CatchupRequestV1(committed).encode());
            return;
        }
        byte[] hash = e.chainHash(hashAt(tnx - 1));
        if (!Arrays.equals(hash, a.hash())) {
            if (tnx - 1 <= committed) {
                reportDivergence(from, tnx - 1, "the sequencer " + from + " sent " + e + ", which does not follow the"
                        + " committed log of " + self + " (chain hashes differ at or before tnx " + (tnx - 1) + ")");
            } else {
                discardFrom(committed + 1, "the sequencer " + from + " has other entries there");
                transport.send(from, new ConfMessage.CatchupRequestV1(committed).encode());
            }
            return;
        }
        if (tnx <= entriesSize() && !Arrays.equals(hashAt(tnx), hash)) {
            discardFrom(tnx, "the sequencer " + from + " sent another entry for that id");
        }
        if (tnx > entriesSize()) {
            appendEntry(e, hash, false);
        }
        transport.send(from, new ConfMessage.AppendAckV1(tnx, hash).encode());
        long upTo = Math.min(a.committedTnx(), tnx);
        if (upTo > committed) {
            commitUpTo(upTo);
        }
    }

    private void answer(NodeName to, long requestId, long tnx, String error, Set<String> lagging) {
        if (to.equals(self)) {
            proposalAnswered(requestId, tnx, error, lagging);
        } else {
            transport.send(to, new ConfMessage.ProposeResultV1(requestId, tnx, error, List.copyOf(lagging)).encode());
        }
    }

    private void proposalAnswered(long requestId, long tnx, String error, Set<String> lagging) {
        Waiting w = proposals.remove(requestId);
        if (w == null) {
            return; // timed out already
        }
        if (tnx == 0) {
            w.future().completeExceptionally(new ChangeFailedException(error, null, false));
            return;
        }
        if (applied >= tnx) {
            complete(w.future(), tnx, lagging);
        } else {
            awaitingApply.put(tnx, new Waiting(w.future(), lagging));
        }
    }

    private void complete(CompletableFuture<Committed> f, long tnx, Set<String> lagging) {
        Object r = results.remove(tnx);
        if (r instanceof Failed failed) {
            f.completeExceptionally(new ChangeFailedException("config change " + tnx + " is committed but failed on "
                    + self + ": " + failed.cause().getMessage(), failed.cause(), true));
        } else {
            f.complete(new Committed(tnx, r, lagging));
        }
    }

    private record Failed(Exception cause) {
    }

    /**
     * An entry committed on a peer (catch-up): the next one is committed here, replacing an
     * uncommitted entry of this node at that id. False when it does not follow (a gap).
     */
    private boolean receivedCommitted(NodeName from, ConfEntry e) {
        long tnx = e.tnxId();
        if (tnx <= committed) {
            ConfEntry mine;
            synchronized (entries) {
                mine = entries.get((int) tnx - 1);
            }
            if (!mine.sameAs(e)) {
                reportDivergence(from, tnx, "tnx " + tnx + " differs between " + self + " (" + mine + ") and " + from
                        + " (" + e + ")");
            }
            return true;
        }
        if (tnx > committed + 1) {
            transport.send(from, new ConfMessage.CatchupRequestV1(committed).encode());
            return false;
        }
        byte[] hash = e.chainHash(hashAt(tnx - 1));
        if (tnx <= entriesSize()) {
            if (Arrays.equals(hashAt(tnx), hash)) {
                commitUpTo(tnx);
                return true;
            }
            discardFrom(tnx, "the cluster committed another change at that id (" + e + ", from " + from + ")");
        }
        appendEntry(e, hash, true);
        committed = tnx;
        afterCommit();
        return true;
    }

    /** Committed entries differ from a peer's: reported (ERROR once per id, and in the status), both kept. */
    private void reportDivergence(NodeName from, long tnx, String what) {
        if (divergentIds.add(tnx)) {
            divergence = what + ": the logs diverged (a change committed on each side of a split); this node keeps its"
                    + " own entries, see docs/cluster-conf.md to repair";
            LOG.error("{}", divergence);
        }
    }

    /** Drops this node's uncommitted entries from {@code tnx} on (on disk first); a pending change of its own fails. */
    private void discardFrom(long tnx, String why) {
        if (tnx <= committed || tnx > entriesSize()) {
            return;
        }
        List<ConfEntry> dropped = List.copyOf(entries.subList((int) tnx - 1, entriesSize()));
        try {
            file.discard(tnx);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot discard tnx " + tnx + " in the cluster config log: " + x.getMessage()
                    + " (check node.data_dir and its free space)", x);
        }
        synchronized (entries) {
            while (entries.size() >= tnx) {
                entries.remove(entries.size() - 1);
                hashes.remove(hashes.size() - 1);
            }
        }
        LOG.warn("cluster config log: discarded the uncommitted {}: {}", dropped, why);
        InFlight f = inFlight;
        if (f != null && f.entry.tnxId() >= tnx) {
            inFlight = null;
            if (f.timer != null) {
                f.timer.cancel(false);
            }
            answer(f.proposer, f.requestId, 0, "config change " + f.entry + " not committed, no majority had it: " + why
                    + "; the change was not made, try again", Set.of());
            thread.execute(this::runQueued);
        }
    }

    private void runDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        List<Runnable> now = new ArrayList<>(deferred);
        deferred.clear();
        now.forEach(Runnable::run);
    }

    private void runQueued() {
        while (inFlight == null && !queued.isEmpty()) {
            queued.poll().run();
        }
    }

    /** Persists (forced) an entry, pending or committed; nothing is applied here. */
    private void appendEntry(ConfEntry e, byte[] hash, boolean isCommitted) {
        try {
            file.append(e, hash, isCommitted);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot append " + e + " to the cluster config log: " + x.getMessage()
                    + " (check node.data_dir and its free space)", x);
        }
        synchronized (entries) {
            entries.add(e);
            hashes.add(hash);
        }
    }

    /** Marks the entries up to {@code tnx} committed (on disk first), applies them, tells the peers. */
    private void commitUpTo(long tnx) {
        if (tnx <= committed) {
            return;
        }
        try {
            file.commit(tnx);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot commit tnx " + tnx + " in the cluster config log: " + x.getMessage()
                    + " (check node.data_dir and its free space)", x);
        }
        committed = tnx;
        afterCommit();
    }

    private void afterCommit() {
        applyPending();
        if (transport != null) {
            byte[] status = statusMessage();
            for (NodeName p : transport.upNodes()) {
                transport.send(p, status);
            }
        }
        InFlight f = inFlight;
        if (f != null && f.entry.tnxId() <= committed) {
            inFlight = null;
            if (f.timer != null) {
                f.timer.cancel(false);
            }
            if (!f.lagging.isEmpty()) {
                LOG.warn("config change {} committed; not reachable now, catching up when back: {}", f.entry, f.lagging);
            }
            answer(f.proposer, f.requestId, f.entry.tnxId(), null, f.lagging);
            thread.execute(this::runQueued);
        }
        runDeferred();
    }

    private byte[] statusMessage() {
        long c = committed;
        return new ConfMessage.TnxStatusV2(c, hashAt(c)).encode();
    }

    private int entriesSize() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private byte[] hashAt(long tnx) {
        synchronized (entries) {
            return tnx == 0 ? ConfEntry.NO_HASH : hashes.get((int) tnx - 1);
        }
    }

    private void applyPending() {
        while (applied < committed) {
            ConfEntry e;
            synchronized (entries) {
                e = entries.get((int) applied);
            }
            Object result;
            Applier a = appliers.get(e.kind());
            if (a == null) {
                result = new Failed(new IllegalStateException("no applier for config kind " + e.kind() + " on this node"));
                LOG.error("config change {}: no applier for its kind on this node (a newer version made it?)", e);
            } else {
                try {
                    result = a.apply(e);
                } catch (Exception x) {
                    result = new Failed(x);
                    if (e.initiator().equals(self.toString())) {
                        LOG.info("config change {} failed here: {}", e, x.getMessage());
                    } else {
                        LOG.warn("config change {} failed here: {}", e, x.getMessage());
                    }
                }
            }
            applied = e.tnxId();
            try {
                file.writeApplied(applied);
            } catch (IOException x) {
                LOG.error("cannot save the applied tnx id {}: {} (it is applied again after a restart)", applied, x.getMessage());
            }
            if (e.initiator().equals(self.toString())) {
                Waiting w = awaitingApply.remove(e.tnxId());
                results.put(e.tnxId(), result);
                if (w != null) {
                    complete(w.future(), e.tnxId(), w.lagging());
                }
                if (results.size() > 1000) {
                    results.remove(results.keySet().iterator().next()); // results nobody waits for any more
                }
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            file.close();
        } catch (IOException e) {
            LOG.warn("closing the cluster config log: {}", e.getMessage());
        }
    }
}

package io.trellis.cluster.conf;

import io.trellis.cluster.NodeName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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

    private final NodeName self;
    private final ConfLogFile file;
    private final Duration timeout;
    private final ScheduledExecutorService thread;
    private final Map<String, Applier> appliers = new ConcurrentHashMap<>();
    // Log-thread state.
    private final List<ConfEntry> entries;
    private final TreeMap<Long, ConfEntry> early = new TreeMap<>();
    private final Map<Long, Waiting> proposals = new HashMap<>();
    private final Map<Long, Object> results = new HashMap<>();
    private final Map<Long, Waiting> awaitingApply = new HashMap<>();
    private final Map<NodeName, Long> peerTnx = new ConcurrentHashMap<>();
    private final List<Runnable> deferred = new ArrayList<>();
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
        this.applied = file.readApplied();
        if (file.recovery() != null) {
            LOG.warn("{}", file.recovery());
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
     * Applies the entries persisted but not yet applied (after the {@code applied} mark), then
     * listens to the peers and tells them this node's last tnx id (a peer ahead sends what is missing).
     */
    public void start(ConfTransport t) {
        this.transport = t;
        run(() -> {
            applyPending();
            t.listen(new ConfTransport.Listener() {
                @Override
                public void received(NodeName from, byte[] body) {
                    thread.execute(() -> handle(from, body));
                }

                @Override
                public void peerUp(NodeName peer) {
                    thread.execute(() -> t.send(peer, new ConfMessage.TnxStatusV1(lastTnx()).encode()));
                }
            });
            byte[] status = new ConfMessage.TnxStatusV1(lastTnx()).encode();
            for (NodeName p : t.upNodes()) {
                t.send(p, status);
            }
        }).join();
    }

    /** The last tnx id in this node's log (0: empty). */
    public long lastTnx() {
        synchronized (entries) {
            return entries.size();
        }
    }

    /** The tnx id up to which this node's state is applied. */
    public long appliedTnx() {
        return applied;
    }

    /** A copy of the log (tests, inspection). */
    public List<ConfEntry> entries() {
        synchronized (entries) {
            return List.copyOf(entries);
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

    /** A conflict seen between this log and a peer's (same tnx id, different change), or null. */
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
     * Proposes a change: the sequencer gives it the next tnx id and sends it to every node up;
     * completes once this node has applied it, with the applier's result. Fails (nothing
     * committed) when no sequencer answers within the timeout or the sequencer refuses (no
     * majority of the known nodes up); fails with {@link ChangeFailedException#committed()} when
     * committed but this node's apply threw.
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
            } else if (m instanceof ConfMessage.EntryV1 e) {
                received(from, e.entry());
            } else if (m instanceof ConfMessage.CatchupRequestV1 c) {
                List<ConfEntry> batch;
                synchronized (entries) {
                    int from0 = (int) Math.min(Math.max(c.after(), 0), entries.size());
                    batch = List.copyOf(entries.subList(from0, Math.min(entries.size(), from0 + CATCHUP_BATCH)));
                }
                transport.send(from, new ConfMessage.CatchupReplyV1(batch).encode());
            } else if (m instanceof ConfMessage.CatchupReplyV1 c) {
                for (ConfEntry e : c.entries()) {
                    received(from, e);
                }
                if (peerTnx.getOrDefault(from, 0L) > lastTnx() && !c.entries().isEmpty()) {
                    transport.send(from, new ConfMessage.CatchupRequestV1(lastTnx()).encode());
                }
            } else if (m instanceof ConfMessage.TnxStatusV1 s) {
                peerTnx.put(from, s.lastTnx());
                if (s.lastTnx() > lastTnx()) {
                    transport.send(from, new ConfMessage.CatchupRequestV1(lastTnx()).encode());
                } else {
                    if (s.lastTnx() < lastTnx()) {
                        // it may not know we are ahead (our STATUS went out before it listened)
                        transport.send(from, new ConfMessage.TnxStatusV1(lastTnx()).encode());
                    }
                    runDeferred();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("config log message from {} failed", from, e);
        }
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
        if (ahead > lastTnx()) {
            // A peer has entries this node has not: catch up first, then give out the next id; but
            // never after the proposer has given up (it answered its caller "not confirmed").
            long giveUpAt = System.nanoTime() + timeout.toNanos() / 2;
            deferred.add(() -> {
                if (System.nanoTime() - giveUpAt > 0) {
                    answer(from, requestId, 0, "the config sequencer " + self + " could not catch up with its peers in time;"
                            + " the change was not made, try again", Set.of());
                } else {
                    propose(from, requestId, kind, payload);
                }
            });
            return;
        }
        ConfEntry entry = new ConfEntry(lastTnx() + 1, from.toString(), System.currentTimeMillis(), kind, payload);
        append(entry);
        byte[] msg = new ConfMessage.EntryV1(entry).encode();
        for (NodeName p : up) {
            transport.send(p, msg);
        }
        Set<String> lagging = new TreeSet<>();
        for (NodeName n : known) {
            if (!up.contains(n)) {
                lagging.add(n.toString());
            }
        }
        if (!lagging.isEmpty()) {
            LOG.warn("config change {} committed; not reachable now, catching up when back: {}", entry, lagging);
        }
        answer(from, requestId, entry.tnxId(), null, lagging);
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

    /** An entry from a peer: the next one is applied, a later one waits for the gap to be filled. */
    private void received(NodeName from, ConfEntry e) {
        long last = lastTnx();
        if (e.tnxId() <= last) {
            ConfEntry mine;
            synchronized (entries) {
                mine = entries.get((int) e.tnxId() - 1);
            }
            if (!mine.sameAs(e)) {
                divergence = "tnx " + e.tnxId() + " differs between " + self + " (" + mine + ") and " + from + " (" + e
                        + "): the logs diverged (a change made on each side of a split); see docs/cluster-conf.md";
                LOG.error("{}", divergence);
            }
            return;
        }
        if (e.tnxId() > last + 1) {
            boolean first = early.isEmpty();
            early.put(e.tnxId(), e);
            if (first) {
                transport.send(from, new ConfMessage.CatchupRequestV1(last).encode());
            }
            return;
        }
        append(e);
        while (!early.isEmpty() && early.firstKey() <= lastTnx() + 1) {
            ConfEntry next = early.pollFirstEntry().getValue();
            if (next.tnxId() == lastTnx() + 1) {
                append(next);
            }
        }
        runDeferred();
    }

    private void runDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        List<Runnable> now = new ArrayList<>(deferred);
        deferred.clear();
        now.forEach(Runnable::run);
    }

    /** Persists (forced), then applies and tells the peers this node's new last id. */
    private void append(ConfEntry e) {
        try {
            file.append(e);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot append " + e + " to the cluster config log: " + x.getMessage()
                    + " (check node.data_dir and its free space)", x);
        }
        synchronized (entries) {
            entries.add(e);
        }
        applyPending();
        if (transport != null) {
            byte[] status = new ConfMessage.TnxStatusV1(lastTnx()).encode();
            for (NodeName p : transport.upNodes()) {
                transport.send(p, status);
            }
        }
    }

    private void applyPending() {
        while (applied < lastTnx()) {
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

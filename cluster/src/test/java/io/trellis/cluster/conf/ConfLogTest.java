package io.trellis.cluster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.trellis.cluster.NodeName;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfLogTest {
    static final NodeName A = NodeName.parse("a@127.0.0.1");
    static final NodeName B = NodeName.parse("b@127.0.0.1");
    static final NodeName C = NodeName.parse("c@127.0.0.1");

    @TempDir
    Path dir;
    final FakeNet net = new FakeNet();
    final List<ConfLog> open = new ArrayList<>();
    final java.util.Map<NodeName, List<String>> appliedBy = new java.util.concurrent.ConcurrentHashMap<>();

    @AfterEach
    void closeAll() {
        open.forEach(ConfLog::close);
    }

    ConfLog node(NodeName n) throws Exception {
        ConfLog log = new ConfLog(n, dir.resolve(n.toString()), Duration.ofSeconds(5));
        List<String> seen = appliedBy.computeIfAbsent(n, k -> new CopyOnWriteArrayList<>());
        log.register("test", e -> {
            String s = new String(e.payload(), StandardCharsets.UTF_8);
            if (s.startsWith("bad")) {
                throw new IllegalArgumentException("payload says bad");
            }
            seen.add(e.tnxId() + ":" + s);
            return "ok " + s;
        });
        log.start(net.transport(n));
        open.add(log);
        return log;
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static ConfLog.Committed get(CompletableFuture<ConfLog.Committed> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void changesFromEveryNodeGetOneOrderAppliedEverywhere() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        List<CompletableFuture<ConfLog.Committed>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(a.submit("test", b("a" + i)));
            all.add(b.submit("test", b("b" + i)));
            all.add(c.submit("test", b("c" + i)));
        }
        for (CompletableFuture<ConfLog.Committed> f : all) {
            assertThat(get(f).lagging()).isEmpty();
        }
        assertThat(get(b.submit("test", b("x"))).result()).isEqualTo("ok x");
        await().untilAsserted(() -> {
            assertThat(appliedBy.get(A)).hasSize(31).isEqualTo(appliedBy.get(B)).isEqualTo(appliedBy.get(C));
            assertThat(c.lastTnx()).isEqualTo(31);
        });
        assertThat(appliedBy.get(A).get(0)).startsWith("1:");
        assertThat(a.entries()).isEqualTo(c.entries());
        assertThat(a.sequencer()).isEqualTo(A);
    }

    @Test
    void aNodeDownDuringAChangeIsReportedLaggingAndCatchesUpWhenBack() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        get(a.submit("test", b("first")));
        net.cut(C);
        ConfLog.Committed second = get(b.submit("test", b("second")));
        assertThat(second.lagging()).containsExactly(C.toString());
        get(a.submit("test", b("third")));
        await().until(() -> b.lastTnx() == 3);
        assertThat(c.lastTnx()).isEqualTo(1);
        assertThat(b.status()).anySatisfy(row -> {
            assertThat(row.node()).isEqualTo(C.toString());
            assertThat(row.lagging()).isTrue();
            assertThat(row.running()).isFalse();
        });
        net.heal(C);
        await().untilAsserted(() -> assertThat(appliedBy.get(C)).containsExactly("1:first", "2:second", "3:third"));
        await().untilAsserted(() -> assertThat(a.status()).allSatisfy(row -> {
            assertThat(row.tnxId()).isEqualTo(3);
            assertThat(row.lagging()).isFalse();
        }));
    }

    @Test
    void aSequencerThatWasDownCatchesUpBeforeGivingOutIds() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        net.cut(A); // the lowest name gone: b sequences
        get(c.submit("test", b("one")));
        get(c.submit("test", b("two")));
        assertThat(b.entries()).hasSize(2);
        assertThat(a.lastTnx()).isZero();
        net.heal(A); // a is the sequencer again, and behind
        ConfLog.Committed third = get(c.submit("test", b("three")));
        assertThat(third.tnxId()).isEqualTo(3);
        await().untilAsserted(() -> {
            assertThat(appliedBy.get(A)).containsExactly("1:one", "2:two", "3:three");
            assertThat(a.entries()).isEqualTo(b.entries()).isEqualTo(c.entries());
        });
        assertThat(a.divergence()).isNull();
        assertThat(b.divergence()).isNull();
    }

    @Test
    void aChangeWithoutAMajorityIsRefusedAndNothingIsCommitted() throws Exception {
        ConfLog a = node(A);
        node(B);
        node(C);
        net.cut(B);
        net.cut(C);
        assertThatThrownBy(() -> get(a.submit("test", b("lonely"))))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("only 1 of 3 known nodes are reachable")
                .hasMessageContaining("majority (2)");
        assertThat(a.lastTnx()).isZero();
    }

    @Test
    void aLaterNodeWithAGapFetchesWhatItMissed() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        for (int i = 0; i < 3; i++) {
            get(a.submit("test", b("v" + i)));
        }
        ConfLog c = node(C); // joins later: tells its peers tnx 0, they answer with theirs, it fetches
        net.heal(C);
        await().until(() -> c.lastTnx() == 3);
        get(c.submit("test", b("from c")));
        await().untilAsserted(() -> assertThat(appliedBy.get(C)).containsExactly("1:v0", "2:v1", "3:v2", "4:from c"));
        assertThat(b.entries()).isEqualTo(c.entries());
    }

    @Test
    void anApplyFailureIsCommittedAndReportedToTheCaller() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        assertThatThrownBy(() -> get(b.submit("test", b("bad one"))))
                .hasCauseInstanceOf(ConfLog.ChangeFailedException.class)
                .hasMessageContaining("committed but failed").hasMessageContaining("payload says bad");
        assertThat(a.lastTnx()).isEqualTo(1);
        assertThat(get(a.submit("test", b("good"))).tnxId()).isEqualTo(2);
    }

    @Test
    void theLogSurvivesARestartAndAppliesOnlyWhatWasNotApplied() throws Exception {
        ConfLog a = node(A);
        get(a.submit("test", b("one")));
        get(a.submit("test", b("two")));
        a.close();
        open.remove(a);
        appliedBy.clear();
        ConfLog again = node(A);
        assertThat(again.lastTnx()).isEqualTo(2);
        assertThat(again.appliedTnx()).isEqualTo(2);
        assertThat(appliedBy.get(A)).isEmpty();
        assertThat(again.recovery()).isNull();
        assertThat(get(again.submit("test", b("three"))).tnxId()).isEqualTo(3);

        // the applied mark lost (e.g. a data dir restored without it): everything is applied again
        again.close();
        open.remove(again);
        Files.delete(dir.resolve(A.toString()).resolve(ConfLogFile.APPLIED));
        appliedBy.clear();
        node(A);
        assertThat(appliedBy.get(A)).containsExactly("1:one", "2:two", "3:three");
    }

    @Test
    void aTornLastRecordIsCutOffReportedAndFetchedAgain() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        get(a.submit("test", b("one")));
        get(a.submit("test", b("two")));
        await().until(() -> b.lastTnx() == 2);
        b.close();
        open.remove(b);
        net.gone(B);
        Path file = dir.resolve(B.toString()).resolve(ConfLogFile.LOG);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 3);
        }
        ConfLog back = node(B);
        assertThat(back.recovery()).contains(file.toString()).contains("last record (after tnx 1")
                .contains("cut short").contains("fetched again from the other nodes");
        assertThat(back.lastTnx()).isEqualTo(1);
        net.heal(B);
        await().until(() -> back.lastTnx() == 2);
        assertThat(back.entries()).isEqualTo(a.entries());
    }

    @Test
    void aBadChecksumOnTheLastRecordIsReportedToo() throws Exception {
        ConfLog a = node(A);
        get(a.submit("test", b("one")));
        get(a.submit("test", b("two")));
        a.close();
        open.remove(a);
        Path file = dir.resolve(A.toString()).resolve(ConfLogFile.LOG);
        flipLastByte(file);
        ConfLog back = node(A);
        assertThat(back.recovery()).contains("checksum does not match");
        assertThat(back.lastTnx()).isEqualTo(1);
    }

    @Test
    void damageBeforeTheLastRecordRefusesToOpenNamingFileAndOffset() throws Exception {
        ConfLog a = node(A);
        get(a.submit("test", b("one")));
        get(a.submit("test", b("two")));
        a.close();
        open.remove(a);
        Path file = dir.resolve(A.toString()).resolve(ConfLogFile.LOG);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(12); // inside the first record's body
            int v = raf.read();
            raf.seek(12);
            raf.write(v ^ 0xFF);
        }
        assertThatThrownBy(() -> new ConfLog(A, dir.resolve(A.toString()), Duration.ofSeconds(1)))
                .isInstanceOf(ConfLogCorruptException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("offset 0")
                .hasMessageContaining("followed by more records").hasMessageContaining("move the cluster-conf directory away");
    }

    static final int APPEND = 70;
    static final int APPEND_ACK = 71;
    static final int TNX_STATUS = 69;

    @Test
    void acknowledgementsLostMeanNoMajorityAndNothingAppliedAnywhere() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        net.lose((from, to, type) -> type == APPEND_ACK);
        assertThatThrownBy(() -> get(b.submit("test", b("unacknowledged"))))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ConfLog.ChangeFailedException.class)
                .hasMessageContaining("not committed").hasMessageContaining("only 1 of 3 known nodes had it on disk")
                .hasMessageContaining("majority (2)")
                .satisfies(e -> assertThat(((ConfLog.ChangeFailedException) e.getCause()).committed()).isFalse());
        // discarded everywhere: the peers had it pending (they acknowledged), the DISCARD removed it
        await().untilAsserted(() -> {
            for (ConfLog n : List.of(a, b, c)) {
                assertThat(n.pending()).isEmpty();
                assertThat(n.lastTnx()).isZero();
            }
        });
        assertThat(appliedBy.values()).allSatisfy(seen -> assertThat(seen).isEmpty());

        net.loseNothing();
        assertThat(get(c.submit("test", b("acknowledged"))).tnxId()).isEqualTo(1);
        await().untilAsserted(() -> assertThat(appliedBy.values())
                .allSatisfy(seen -> assertThat(seen).containsExactly("1:acknowledged")));
        assertThat(a.divergence()).isNull();
    }

    @Test
    void aSequencerCutOffRightAfterProposingDoesNotCommitAndTakesTheMajoritysEntryAfterTheHeal() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        get(b.submit("test", b("before")));
        await().until(() -> a.lastTnx() == 1 && c.lastTnx() == 1);
        net.lose((from, to, type) -> from.equals(A)); // the link fails as the sequencer sends its entry
        CompletableFuture<ConfLog.Committed> lost = a.submit("test", b("minority"));
        await().until(() -> a.pending().size() == 1);
        net.cut(A); // ... and the partition is seen
        ConfLog.Committed majority = get(b.submit("test", b("majority")));
        assertThat(majority.tnxId()).isEqualTo(2); // the same id as a's pending entry
        assertThatThrownBy(() -> get(lost)).hasMessageContaining("not committed").hasMessageContaining("majority");
        assertThat(a.lastTnx()).isEqualTo(1);
        assertThat(a.pending()).isEmpty();

        net.loseNothing();
        net.heal(A);
        await().untilAsserted(() -> {
            assertThat(a.entries()).hasSize(2).isEqualTo(b.entries()).isEqualTo(c.entries());
            assertThat(appliedBy.get(A)).containsExactly("1:before", "2:majority");
        });
        assertThat(appliedBy.get(B)).containsExactly("1:before", "2:majority");
        assertThat(a.divergence()).isNull();
        assertThat(b.divergence()).isNull();
        assertThat(get(a.submit("test", b("after"))).tnxId()).isEqualTo(3);
    }

    @Test
    void aPendingEntryOfTheOldSequencerIsReplacedByTheMajoritysWhenTheHealComesFirst() throws Exception {
        ConfLog a = new ConfLog(A, dir.resolve(A.toString()), Duration.ofSeconds(60)); // waits long for acks
        a.register("test", e -> appliedBy.computeIfAbsent(A, k -> new CopyOnWriteArrayList<>())
                .add(e.tnxId() + ":" + new String(e.payload(), StandardCharsets.UTF_8)));
        a.start(net.transport(A));
        open.add(a);
        ConfLog b = node(B);
        node(C);
        net.lose((from, to, type) -> from.equals(A));
        CompletableFuture<ConfLog.Committed> lost = a.submit("test", b("minority"));
        await().until(() -> a.pending().size() == 1);
        net.cut(A);
        get(b.submit("test", b("majority")));
        net.loseNothing();
        net.heal(A); // a still waits for acknowledgements of its own tnx 1
        assertThatThrownBy(() -> get(lost)).hasMessageContaining("not committed")
                .hasMessageContaining("the cluster committed another change at that id");
        await().untilAsserted(() -> assertThat(appliedBy.get(A)).containsExactly("1:majority"));
        assertThat(a.entries()).isEqualTo(b.entries());
        assertThat(a.pending()).isEmpty();
        assertThat(a.divergence()).isNull();
    }

    @Test
    void aPeerRestartedWithAPendingEntryCommitsItWhenTheSequencerSaysSo() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        net.lose((from, to, type) -> to.equals(B) && type == TNX_STATUS); // b never hears of the commit
        get(a.submit("test", b("one")));
        await().until(() -> b.pending().size() == 1);
        b.close();
        open.remove(b);
        net.gone(B);
        net.cut(B); // back, but not yet connected
        net.loseNothing();
        appliedBy.clear();

        ConfLog back = node(B);
        assertThat(back.lastTnx()).isZero();
        assertThat(back.pending()).hasSize(1);
        assertThat(appliedBy.get(B)).isEmpty(); // pending: never applied
        net.heal(B);
        await().untilAsserted(() -> assertThat(appliedBy.get(B)).containsExactly("1:one"));
        assertThat(back.entries()).isEqualTo(a.entries());
        assertThat(back.pending()).isEmpty();
    }

    @Test
    void aSequencerRestartedWithAPendingEntryGivesItsIdToTheNextChangeEverywhere() throws Exception {
        ConfLog a = node(A);
        ConfLog b = node(B);
        ConfLog c = node(C);
        net.lose((from, to, type) -> type == APPEND_ACK);
        a.submit("test", b("never acknowledged"));
        await().until(() -> a.pending().size() == 1 && b.pending().size() == 1 && c.pending().size() == 1);
        a.close(); // before its no-majority timer: the entry stays pending in its file
        open.remove(a);
        net.gone(A);
        net.cut(A); // back, but not yet connected
        net.loseNothing();

        ConfLog back = node(A);
        assertThat(back.pending()).hasSize(1);
        assertThat(back.lastTnx()).isZero();
        net.heal(A);
        assertThat(get(back.submit("test", b("next"))).tnxId()).isEqualTo(1);
        await().untilAsserted(() -> {
            assertThat(appliedBy.values()).allSatisfy(seen -> assertThat(seen).containsExactly("1:next"));
            for (ConfLog n : List.of(back, b, c)) {
                assertThat(n.pending()).isEmpty();
                assertThat(n.entries()).extracting(e -> new String(e.payload(), StandardCharsets.UTF_8)).containsExactly("next");
            }
        });
    }

    @Test
    void aVersion1FileWithoutHashesLoadsAndChainsAsTheOthersDo() throws Exception {
        ConfEntry one = new ConfEntry(1, A.toString(), 1000, "test", b("old one"));
        ConfEntry two = new ConfEntry(2, B.toString(), 2000, "test", b("old two"));
        for (NodeName n : List.of(A, B)) {
            try (ConfLogFile f = ConfLogFile.open(dir.resolve(n.toString()))) {
                f.appendV1(one);
                f.appendV1(two);
            }
        }
        ConfLog a = node(A);
        ConfLog b = node(B);
        assertThat(a.entries()).containsExactly(one, two);
        assertThat(a.lastTnx()).isEqualTo(2);
        assertThat(appliedBy.get(A)).containsExactly("1:old one", "2:old two");
        ConfLog c = node(C); // fresh: fetches both, computes the same hashes
        net.heal(C);
        await().until(() -> c.lastTnx() == 2);
        assertThat(get(c.submit("test", b("new"))).tnxId()).isEqualTo(3);
        await().until(() -> a.lastTnx() == 3 && b.lastTnx() == 3);

        // reopened: the version-1 records and the new ones after them read back alike
        a.close();
        open.remove(a);
        net.gone(A);
        ConfLog again = node(A);
        assertThat(again.entries()).isEqualTo(b.entries()).hasSize(3);
        net.heal(A);
        await().until(() -> again.status().stream().allMatch(r -> r.tnxId() == 3));
        for (ConfLog n : List.of(again, b, c)) {
            assertThat(n.divergence()).isNull();
        }
    }

    @Test
    void committedEntriesThatDifferAreReportedAndKept() throws Exception {
        try (ConfLogFile f = ConfLogFile.open(dir.resolve(A.toString()))) {
            f.appendV1(new ConfEntry(1, A.toString(), 1000, "test", b("left")));
        }
        try (ConfLogFile f = ConfLogFile.open(dir.resolve(B.toString()))) {
            f.appendV1(new ConfEntry(1, B.toString(), 1000, "test", b("right")));
        }
        ConfLog a = node(A);
        ConfLog b = node(B);
        net.heal(B);
        await().until(() -> a.divergence() != null && b.divergence() != null);
        assertThat(a.divergence()).contains("tnx 1").contains("diverged").contains("keeps its own entries")
                .doesNotContain("left").doesNotContain("right");
        assertThat(appliedBy.get(A)).containsExactly("1:left");
        assertThat(appliedBy.get(B)).containsExactly("1:right");
    }

    @Test
    void messagesRoundTrip() throws Exception {
        ConfEntry e = new ConfEntry(7, "a@h", 123, "rules", b("{}"));
        for (ConfMessage m : List.of(new ConfMessage.ProposeV1(1, "rules", b("x")),
                new ConfMessage.ProposeResultV1(2, 0, "why", List.of("c@h")), new ConfMessage.EntryV1(e),
                new ConfMessage.CatchupRequestV1(5), new ConfMessage.CatchupReplyV1(List.of(e, e)),
                new ConfMessage.TnxStatusV1(9), new ConfMessage.TnxStatusV2(9, e.chainHash(ConfEntry.NO_HASH)),
                new ConfMessage.AppendV1(6, e, new byte[ConfEntry.HASH_BYTES]), new ConfMessage.AppendAckV1(7, e.chainHash(ConfEntry.NO_HASH)),
                new ConfMessage.DiscardV1(7, e.chainHash(ConfEntry.NO_HASH)))) {
            byte[] bytes = m.encode();
            assertThat(ConfMessage.isConf(bytes)).isTrue();
            assertThat(ConfMessage.decode(bytes).encode()).isEqualTo(bytes);
        }
        assertThatThrownBy(() -> ConfMessage.decode(new byte[] {66, 1, 0})).isInstanceOf(ConfMessage.Malformed.class);
        assertThat(e.toString()).doesNotContain("{}");
    }

    private static void flipLastByte(Path file) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(raf.length() - 1);
            int v = raf.read();
            raf.seek(raf.length() - 1);
            raf.write(v ^ 0xFF);
        }
    }
}

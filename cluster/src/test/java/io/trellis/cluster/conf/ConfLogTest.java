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

    @Test
    void messagesRoundTrip() throws Exception {
        ConfEntry e = new ConfEntry(7, "a@h", 123, "rules", b("{}"));
        for (ConfMessage m : List.of(new ConfMessage.ProposeV1(1, "rules", b("x")),
                new ConfMessage.ProposeResultV1(2, 0, "why", List.of("c@h")), new ConfMessage.EntryV1(e),
                new ConfMessage.CatchupRequestV1(5), new ConfMessage.CatchupReplyV1(List.of(e, e)),
                new ConfMessage.TnxStatusV1(9))) {
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

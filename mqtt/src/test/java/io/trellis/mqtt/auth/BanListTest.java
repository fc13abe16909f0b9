package io.trellis.mqtt.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BanListTest {
    private final AtomicLong clock = new AtomicLong(10_000);

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        BanList bans = new BanList(clock::get, 3, 1_000, 5_000);
        bans.recordFailure("c", "10.0.0.1");
        bans.recordFailure("c", "10.0.0.1");
        clock.addAndGet(1_000); // the first two fall out of the window
        bans.recordFailure("c", "10.0.0.1");
        assertThat(bans.find("c", null, "10.0.0.1")).isEmpty();
        bans.recordFailure("c", "10.0.0.1");
        bans.recordFailure("c", "10.0.0.1");
        assertThat(bans.find(null, null, "10.0.0.1")).isPresent();
        assertThat(bans.find("c", null, null)).isPresent();
        clock.addAndGet(5_000);
        assertThat(bans.find("c", null, "10.0.0.1")).isEmpty();
    }

    @Test
    void zeroMaxFailuresNeverBans() {
        BanList bans = new BanList(clock::get, 0, 1_000, 5_000);
        for (int i = 0; i < 100; i++) bans.recordFailure("c", "10.0.0.1");
        assertThat(bans.list()).isEmpty();
    }

    @Test
    void manyDistinctFailingClientsArePrunedNotKeptForever() {
        BanList bans = new BanList(clock::get, 5, 1_000, 5_000);
        for (int i = 0; i < 10_050; i++) bans.recordFailure("c" + i, null);
        assertThat(bans.tracked()).isEqualTo(10_050); // none is older than the window yet
        clock.addAndGet(2_000);
        bans.recordFailure("late", null); // over the limit: drops everything older than the window
        assertThat(bans.tracked()).isEqualTo(1);
        assertThat(bans.list()).isEmpty();
    }

    @Test
    void automaticBansStayApartFromTheManualOnesAPersistedListHolds() {
        BanList bans = new BanList(clock::get, 2, 1_000, 5_000);
        bans.add(new BanList.Ban(BanList.As.USERNAME, "mallory", "mgmt_api", "", clock.get(), clock.get() + 60_000));
        bans.recordFailure("bot", null);
        bans.recordFailure("bot", null);
        assertThat(bans.find("bot", null, null)).isPresent();
        assertThat(bans.list()).extracting(BanList.Ban::who).containsExactlyInAnyOrder("mallory", "bot");
        assertThat(bans.manual()).extracting(BanList.Ban::who).containsExactly("mallory");
        assertThat(bans.hasManual(BanList.As.CLIENTID, "bot")).isFalse();
        assertThat(bans.deleteAutomatic(BanList.As.CLIENTID, "bot")).isTrue();
        assertThat(bans.find("bot", null, null)).isEmpty();

        // delete lifts both kinds of the same client
        bans.add(new BanList.Ban(BanList.As.CLIENTID, "bot", "mgmt_api", "", clock.get(), Long.MAX_VALUE));
        bans.recordFailure("bot", null);
        bans.recordFailure("bot", null);
        assertThat(bans.delete(BanList.As.CLIENTID, "bot")).isTrue();
        assertThat(bans.find("bot", null, null)).isEmpty();
    }

    @Test
    void purgeDropsExpiredBansAndSaysWhenManualOnesExpired() {
        BanList bans = new BanList(clock::get, 1, 1_000, 500);
        bans.add(new BanList.Ban(BanList.As.CLIENTID, "short", "", "", clock.get(), clock.get() + 1_000));
        bans.add(new BanList.Ban(BanList.As.CLIENTID, "long", "", "", clock.get(), Long.MAX_VALUE));
        bans.recordFailure("auto", null);
        assertThat(bans.purgeExpired()).isFalse();
        clock.addAndGet(1_000);
        assertThat(bans.manual()).extracting(BanList.Ban::who).containsExactly("long");
        assertThat(bans.purgeExpired()).isTrue();
        assertThat(bans.purgeExpired()).isFalse();
        assertThat(bans.list()).extracting(BanList.Ban::who).containsExactly("long");

        // one that a CONNECT found expired first is still reported
        bans.add(new BanList.Ban(BanList.As.CLIENTID, "brief", "", "", clock.get(), clock.get() + 10));
        clock.addAndGet(10);
        assertThat(bans.find("brief", null, null)).isEmpty();
        assertThat(bans.list()).extracting(BanList.Ban::who).containsExactly("long");
        assertThat(bans.purgeExpired()).isTrue();
    }
}

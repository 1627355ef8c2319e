package dev.outpost.controlplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.controlplane.store.Store;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The subscriptions' copy of the newest purges: a subscriber is served from it only while it
 * holds the next entry, and reads the store when it is further behind than what is kept.
 */
class RecentEntriesTest {

    private static Store.Entry entry(long seq) {
        return new Store.Entry(seq, ("{\"sequence\":" + seq + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void keepsTheNewestEntriesAndSaysWhenACursorIsPastThemOrBehindThem() {
        NodeStreams.RecentEntries recent = new NodeStreams.RecentEntries(4);
        assertThat(recent.covers(0)).as("nothing delivered yet: the store is read").isFalse();
        for (long s = 1; s <= 10; s++) {
            recent.add(entry(s));
        }
        assertThat(recent.get(6)).isNull();
        assertThat(recent.get(7).sequence()).isEqualTo(7);
        assertThat(recent.get(10).sequence()).isEqualTo(10);
        assertThat(recent.get(11)).isNull();
        assertThat(recent.covers(10)).as("at the newest: nothing more to send").isTrue();
        assertThat(recent.covers(12)).as("ahead (read from the store before the watch delivered)").isTrue();
        assertThat(recent.covers(9)).as("entry 10 is still to send").isFalse();
        assertThat(recent.covers(5)).as("behind what is kept: read the store").isFalse();
    }

    @Test
    void aGapStartsTheCopyAgainSoItNeverServesAcrossAHole() {
        NodeStreams.RecentEntries recent = new NodeStreams.RecentEntries(8);
        recent.add(entry(1));
        recent.add(entry(2));
        recent.add(entry(5));
        assertThat(recent.get(2)).isNull();
        assertThat(recent.get(5).sequence()).isEqualTo(5);
        assertThat(recent.covers(2)).as("3 and 4 are not kept: read the store").isFalse();
    }
}

package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk tier's admission (TinyLFU) and eviction (least popular of the oldest) on a real RocksDB. */
class DiskTierPolicyTest {

    @TempDir
    Path dir;

    private static CachedResponse entry(String key, long fillId, int size) {
        return new CachedResponse(key, 200, new String[0], new String[0], 0, 0, 0, 60_000, 0, 0, 0, size, fillId,
                4096, List.of(), List.of(), 0);
    }

    private static void store(DiskTier disk, String key, int size) throws Exception {
        long id = disk.newFillId();
        disk.beginFill(id, key, size);
        disk.writeChunk(id, 0, 0, ByteBuffer.allocate(size));
        disk.commit(entry(key, id, size), size);
    }

    @Test
    void aNewcomerMustBeMorePopularThanWhatItWouldPushOut() throws Exception {
        ManualClock clock = new ManualClock();
        long one = entry("k0", 1, 1000).weight();
        try (DiskTier disk = DiskTier.open(dir, one * 10, clock, new SimpleMeterRegistry())) {
            for (int i = 0; i < 10; i++) {
                disk.recordAccess("k" + i);
                store(disk, "k" + i, 1000);
            }
            for (int i = 0; i < 10; i++) {
                for (int n = 0; n < 3; n++) {
                    disk.recordAccess("k" + i); // every entry is popular
                }
            }
            disk.recordAccess("new");
            assertThat(disk.admit("new", 1000)).as("less popular than every entry: not admitted").isFalse();
            for (int n = 0; n < 3; n++) {
                disk.recordAccess("new");
            }
            assertThat(disk.admit("new", 1000)).as("as popular as the least popular entry: admitted").isTrue();
            assertThat(disk.admit("unknown-length", -1)).as("unknown length is judged as a typical entry").isFalse();
        }
    }

    @Test
    void evictionTakesTheLeastPopularOfTheOldest() throws Exception {
        ManualClock clock = new ManualClock();
        long one = entry("k0", 1, 1000).weight();
        try (DiskTier disk = DiskTier.open(dir, one * 10, clock, new SimpleMeterRegistry())) {
            for (int i = 0; i < 10; i++) {
                disk.recordAccess("k" + i);
                store(disk, "k" + i, 1000);
            }
            for (int n = 0; n < 5; n++) {
                disk.recordAccess("k0"); // the oldest, but popular
            }
            disk.evictTo(one * 7);
            assertThat(disk.get("k0")).as("popular entry kept").isNotNull();
            assertThat(disk.entries()).isEqualTo(7);
            assertThat(disk.usedBytes()).isLessThanOrEqualTo(one * 7);
        }
    }

    @Test
    void anOldEntrySparedForItsPopularityGoesToTheYoungEndAndIsNotSampledAgainAtOnce() throws Exception {
        ManualClock clock = new ManualClock();
        long one = entry("k00", 1, 1000).weight(); // every key of the same length: the same weight
        try (DiskTier disk = DiskTier.open(dir, one * 40, clock, new SimpleMeterRegistry())) {
            for (int i = 0; i < 20; i++) {
                disk.recordAccess(key(i));
                store(disk, key(i), 1000);
            }
            for (int n = 0; n < 5; n++) {
                disk.recordAccess(key(0)); // the oldest, asked for 6 times
            }
            disk.evictTo(one * 19);
            assertThat(disk.get(key(1))).as("the least popular of the oldest goes").isNull();
            for (int i = 2; i < 20; i++) {
                for (int n = 0; n < 6; n++) {
                    disk.recordAccess(key(i)); // now every other entry is asked for more often than k00
                }
            }
            disk.evictTo(one * 18);
            // k00 was moved behind k19 when it was spared: the 16 oldest are k02..k17 now, and the
            // oldest of those goes; without the move k00 (the least popular) would have gone
            assertThat(disk.get(key(0))).as("spared entry kept").isNotNull();
            assertThat(disk.get(key(2))).isNull();
            assertThat(disk.entries()).isEqualTo(18);
        }
    }

    /**
     * Samples seek past what earlier samples found oldest ({@link RecencyFloor}); a record
     * written below that point afterwards must still be sampled, or its entry would never be
     * evicted: a fill that began before the others and commits after a sample, and entries
     * stored after the clock was set back.
     */
    @Test
    void entriesRecordedBelowWhereSamplesStartAreStillEvicted() throws Exception {
        ManualClock clock = new ManualClock();
        long one = entry("k00", 1, 1000).weight();
        try (DiskTier disk = DiskTier.open(dir, one * 40, clock, new SimpleMeterRegistry())) {
            long early = disk.newFillId(); // begins first, commits last: the smallest id of all
            disk.beginFill(early, "early", 1000);
            disk.writeChunk(early, 0, 0, ByteBuffer.allocate(1000));
            clock.advanceSeconds(600);
            for (int i = 0; i < 10; i++) {
                store(disk, key(i), 1000);
            }
            disk.evictTo(one * 9); // samples: later ones start past the first entries
            disk.commit(entry("early", early, 1000), 1000);
            clock.set(clock.instant().minusSeconds(1200)); // set back: earlier minutes than every record
            store(disk, "set-back", 1000);
            assertThat(disk.get("early")).isNotNull();
            assertThat(disk.get("set-back")).isNotNull();
            disk.evictTo(0);
            assertThat(disk.entries()).as("every entry sampled and evicted").isZero();
            assertThat(disk.get("early")).isNull();
            assertThat(disk.get("set-back")).isNull();
        }
    }

    private static String key(int i) {
        return String.format("k%02d", i);
    }

    @Test
    void pastItsBoundTheEvictorLeavesOnePercentHeadroomAsTheReadmeSays() throws Exception {
        ManualClock clock = new ManualClock();
        long one = entry("k000", 1, 1000).weight(); // every key of the same length: the same weight
        try (DiskTier disk = DiskTier.open(dir, one * 100, clock, new SimpleMeterRegistry())) {
            for (int i = 0; i < 100; i++) {
                store(disk, String.format("k%03d", i), 1000);
            }
            assertThat(disk.entries()).isEqualTo(100);
        }
        // the operator halves disk-size: the tier starts over its bound and the evictor takes it under
        try (DiskTier disk = DiskTier.open(dir, one * 50, clock, new SimpleMeterRegistry())) {
            Await.until("the evictor brings the tier to its eviction target", Duration.ofSeconds(30),
                    () -> disk.usedBytes() <= disk.evictionTarget());
            assertThat(disk.evictionTarget()).isEqualTo((long) (one * 50 * 0.99));
            assertThat(disk.entries()).as("evicted to 1% under the bound of 50 (49 entries), not 5% (47)").isEqualTo(49);
        }
        String readme = Files.readString(Path.of("README.md"));
        long headroom = Math.round((1 - DiskTier.EVICTION_TARGET) * 100);
        assertThat(readme).as("edge-node/README.md states the evictor's headroom")
                .contains("evicts it to " + headroom + "% under its bound");
    }
}

package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.CacheSettings;
import dev.outpost.config.DataSize;
import dev.outpost.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cache.promotion-memory}: a disk hit is copied whole into the memory tier only within the
 * bytes of promotions in flight; past it the hit is served from disk chunk by chunk (no body in
 * the hit) and the skip is counted. A promoted hit hands out the memory tier's own buffer.
 */
class PromotionBudgetTest {

    private static final int SIZE = 10_000;

    @TempDir
    Path dir;

    private static CacheSettings settings(long promotionMemory) {
        return new CacheSettings(DataSize.ofMebibytes(16), DataSize.ofMebibytes(1), DataSize.ofMebibytes(64), null,
                DataSize.ofKibibytes(4), null, null, null, null, null, DataSize.ofBytes(promotionMemory));
    }

    private static void storeOnDisk(TieredCache cache, String key) throws Exception {
        DiskTier disk = cache.disk();
        long id = disk.newFillId();
        disk.beginFill(id, key, SIZE);
        for (int i = 0; i * 4096 < SIZE; i++) {
            disk.writeChunk(id, i, i * 4096L, ByteBuffer.allocate(Math.min(4096, SIZE - i * 4096)));
        }
        disk.commit(new CachedResponse(key, 200, new String[0], new String[0], 0, 0, 0, 60_000, 0, 0, 0, SIZE, id,
                4096, List.of(), List.of(), 0), SIZE);
    }

    @Test
    void aDiskHitPastTheBudgetIsServedFromDiskAndCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredCache cache = TieredCache.open(settings(SIZE - 1), dir, new ManualClock(), registry)) {
            storeOnDisk(cache, "h/a");
            TieredCache.Hit hit = (TieredCache.Hit) cache.lookup("h/a", names -> "h/a");
            assertThat(hit.tier()).isEqualTo(TieredCache.Tier.DISK);
            assertThat(hit.memoryBody()).as("no whole copy for this reader").isNull();
            assertThat(registry.get("outpost.cache.promotions.skipped").counter().count()).isEqualTo(1);
            assertThat(cache.memoryEntries()).isZero();
            assertThat(cache.promotingBytes()).isZero();
        }
    }

    @Test
    void aDiskHitWithinTheBudgetIsPromotedAndSharesTheMemoryTiersBuffer() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TieredCache cache = TieredCache.open(settings(SIZE), dir, new ManualClock(), registry)) {
            storeOnDisk(cache, "h/b");
            TieredCache.Hit hit = (TieredCache.Hit) cache.lookup("h/b", names -> "h/b");
            assertThat(hit.tier()).isEqualTo(TieredCache.Tier.DISK);
            assertThat(hit.memoryBody()).isNotNull();
            assertThat(hit.memoryBody().remaining()).isEqualTo(SIZE);
            TieredCache.Hit again = cache.memoryHit("h/b", names -> "h/b");
            assertThat(again).isNotNull();
            assertThat(again.memoryBody()).as("the buffer the memory tier keeps, not a copy of the reader's own")
                    .isSameAs(hit.memoryBody());
            assertThat(registry.get("outpost.cache.promotions.skipped").counter().count()).isZero();
            assertThat(cache.promotingBytes()).isZero();
        }
    }
}

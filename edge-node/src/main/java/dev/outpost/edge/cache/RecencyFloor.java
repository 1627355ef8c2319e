package dev.outpost.edge.cache;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Where the disk tier's recency order starts, so that sampling its oldest entries seeks there
 * instead of scanning from the column family's first key.
 *
 * <p>The {@code lru} column family works as a queue: records are appended at the young end
 * and deleted at the old end (evicted, given a second chance, moved by a hit). RocksDB keeps a
 * deleted record as a tombstone until compaction, and an iterator that starts at the first key
 * steps over every one of them: with the tier full, each admission and each eviction sampled
 * the oldest entries through tens of thousands of tombstones, two milliseconds of CPU per miss.
 * Seeking to the first record the last sample found skips them in one step.
 *
 * <p>Records are appended in increasing order (minute bucket, then fill id), but not strictly:
 * a fill commits under its own id, which a fill started later may already have passed, and a
 * clock set back makes earlier buckets. So every record written is reported ({@link #lower})
 * after its write, and the floor moves up only to what a sample saw when no record was
 * reported while it looked ({@link #begin}, {@link #advance}). A record is then never below
 * the floor while it lives, and a sample never misses an old entry.
 */
final class RecencyFloor {

    private byte @Nullable [] floor;
    /** Records reported so far: a sample may move the floor only if none came after it began. */
    private long lowered;

    /** Where a sample starts ({@code seek}, null for the first key) and what it has to show {@link #advance}. */
    record Start(byte @Nullable [] seek, long stamp) {
    }

    /** A record was written under {@code key}: the floor goes down to it if it is below. */
    synchronized void lower(byte[] key) {
        lowered++;
        if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
            floor = key;
        }
    }

    /** A sample starts, before its iterator is made. */
    synchronized Start begin() {
        return new Start(floor, lowered);
    }

    /**
     * The sample that began at {@code start} found {@code first} as its oldest live record: the
     * floor moves up to it unless a record was written since (it may be below and not seen).
     */
    synchronized void advance(Start start, byte[] first) {
        if (lowered == start.stamp() && (floor == null || Arrays.compareUnsigned(first, floor) > 0)) {
            floor = first;
        }
    }

    /** The tier was cleared or reopened: start from the first key again. */
    synchronized void reset() {
        floor = null;
        lowered++;
    }
}

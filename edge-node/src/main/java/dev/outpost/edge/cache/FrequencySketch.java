package dev.outpost.edge.cache;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A count-min sketch of 4-bit counters with periodic halving (TinyLFU): estimates how often a
 * key was requested recently, in a few bytes per tracked key. Every request counts, memory hits
 * included, so the disk tier's admission and eviction see real popularity: a newcomer is
 * admitted only when it is asked for more often than what it would push out, and eviction
 * prefers the least popular of the oldest entries.
 *
 * <p>Lock-free: counters are updated by compare-and-set, so I/O threads never wait on it; a
 * lost race costs one count, which an estimate can afford. The periodic halving walks the whole
 * table (up to 4 Mi words, tens of milliseconds): it runs on the executor given, never on the
 * I/O thread whose request happened to complete the sample, and counts keep going meanwhile.
 */
final class FrequencySketch {

    private static final long[] SEEDS = {0xc3a5c85c97cb3127L, 0xb492b66fbe98f273L, 0x9ae16a3b2f90404fL, 0xcbf29ce484222325L};

    private final AtomicLongArray table;
    private final int mask;
    private final int sampleSize;
    private final AtomicInteger additions = new AtomicInteger();
    private final Executor halving;
    private final AtomicBoolean halvingUnderWay = new AtomicBoolean();

    /** A sketch that halves in line, on the thread that completes a sample (the simulator's). */
    FrequencySketch(int expectedEntries) {
        this(expectedEntries, Runnable::run);
    }

    FrequencySketch(int expectedEntries, Executor halving) {
        this.halving = halving;
        int size = Integer.highestOneBit(Math.max(64, Math.min(expectedEntries, 1 << 24)) - 1) << 1;
        table = new AtomicLongArray(size);
        mask = size - 1;
        sampleSize = 10 * size;
    }

    void increment(long hash) {
        boolean added = false;
        for (int i = 0; i < 4; i++) {
            int index = index(hash, i);
            int offset = counterOffset(hash, i);
            while (true) {
                long word = table.get(index);
                if (((word >>> offset) & 0xfL) == 15) {
                    break;
                }
                if (table.compareAndSet(index, word, word + (1L << offset))) {
                    added = true;
                    break;
                }
            }
        }
        if (added && additions.incrementAndGet() == sampleSize && halvingUnderWay.compareAndSet(false, true)) {
            halving.execute(this::reset);
        }
    }

    int frequency(long hash) {
        int min = 15;
        for (int i = 0; i < 4; i++) {
            int count = (int) ((table.get(index(hash, i)) >>> counterOffset(hash, i)) & 0xfL);
            min = Math.min(min, count);
        }
        return min;
    }

    /** Halves every counter, so the sketch follows what is popular now, not what was. */
    private void reset() {
        try {
            for (int i = 0; i < table.length(); i++) {
                long word;
                do {
                    word = table.get(i);
                } while (!table.compareAndSet(i, word, (word >>> 1) & 0x7777777777777777L));
            }
            additions.set(sampleSize / 2);
        } finally {
            halvingUnderWay.set(false);
        }
    }

    private int index(long hash, int row) {
        long h = (hash + SEEDS[row]) * SEEDS[row];
        h += h >>> 32;
        return (int) h & mask;
    }

    private static int counterOffset(long hash, int row) {
        return (int) (((hash >>> (row * 8)) & 15) << 2);
    }

    /** A well-mixed 64-bit hash of a key, from its (cached) String hash. */
    static long hash(String key) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return h;
    }
}

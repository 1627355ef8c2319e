package dev.outpost.edge.cache;

/**
 * A count-min sketch of 4-bit counters with periodic halving (TinyLFU): estimates how often a
 * key was requested recently, in a few bytes per tracked key. The disk tier's admission
 * compares a newcomer's estimate with its eviction victim's, so one-hit wonders don't push
 * out objects that are asked for again and again.
 */
final class FrequencySketch {

    private final long[] table;
    private final int mask;
    private final int sampleSize;
    private int additions;

    FrequencySketch(int expectedEntries) {
        int size = Integer.highestOneBit(Math.max(64, Math.min(expectedEntries, 1 << 24)) - 1) << 1;
        table = new long[size];
        mask = size - 1;
        sampleSize = 10 * size;
    }

    synchronized void increment(long hash) {
        boolean added = false;
        for (int i = 0; i < 4; i++) {
            int index = index(hash, i);
            int offset = counterOffset(hash, i);
            long counter = (table[index] >>> offset) & 0xfL;
            if (counter < 15) {
                table[index] += 1L << offset;
                added = true;
            }
        }
        if (added && ++additions >= sampleSize) {
            reset();
        }
    }

    synchronized int frequency(long hash) {
        int min = 15;
        for (int i = 0; i < 4; i++) {
            int count = (int) ((table[index(hash, i)] >>> counterOffset(hash, i)) & 0xfL);
            min = Math.min(min, count);
        }
        return min;
    }

    private void reset() {
        for (int i = 0; i < table.length; i++) {
            table[i] = (table[i] >>> 1) & 0x7777777777777777L;
        }
        additions /= 2;
    }

    private int index(long hash, int row) {
        long h = (hash + SEEDS[row]) * SEEDS[row];
        h += h >>> 32;
        return (int) h & mask;
    }

    private static int counterOffset(long hash, int row) {
        return (int) (((hash >>> (row * 8)) & 15) << 2);
    }

    private static final long[] SEEDS = {0xc3a5c85c97cb3127L, 0xb492b66fbe98f273L, 0x9ae16a3b2f90404fL, 0xcbf29ce484222325L};

    /** A well-mixed 64-bit hash of a key. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h ^= key.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}

package dev.outpost.edge.cache;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The disk tier's admission and eviction policy, apart from its storage, so that it can be
 * unit-tested and replayed by the hit-ratio simulator without I/O: the node's {@link DiskEvictor}
 * and {@code load-tests}' {@code DiskTierModel} both run the loops below over an {@link Order},
 * one kept in RocksDB, the other in a map.
 *
 * <p>The tier keeps its entries in an approximate recency order (oldest first) and feeds every
 * request to a {@link FrequencySketch}. Eviction looks at the {@value #SAMPLE} oldest entries
 * and takes the least popular of them (sampled LFU over recency). The sampled entries asked for
 * more often than that victim go back to the young end of the order (a second chance earned by
 * frequency, as CLOCK gives one for a reference bit), so the old end fills with the entries
 * nobody wants and a popular object is not sampled, and put at risk, again and again. A
 * newcomer is admitted when it fits, or when it is asked for at least as often as the entry it
 * would push out (TinyLFU admission; ties to the newcomer, so recency still counts); an object
 * over a quarter of the bound never is.
 *
 * <p>When eviction runs is policy too: a fill makes room for what it reserves before it starts
 * ({@link #roomTarget}), and a tier found past its bound anyway is evicted to
 * {@value #EVICTION_TARGET} of it ({@link #evictionTarget}). Recency is kept in buckets of
 * {@value #BUCKET_MS} ms: a hit moves its entry to the young end at most once per bucket.
 *
 * <p>On the seeded Zipf trace of {@code load-tests} (10,000 objects, 100,000 requests, s = 0.9)
 * this policy, replayed as the node runs it (room made before each fill), keeps 0.645 of
 * requests at 10% capacity (Caffeine's W-TinyLFU: 0.631, LRU 0.558). A replay that evicted in
 * batches to 1% under the bound after each fill kept 0.634, and in that replay the same sampling
 * without the second chance and with a sketch a quarter the size kept 0.575.
 *
 * <p>Thread-safe and lock-free: the sketch is lock-free and the decisions are pure functions of
 * it and of what the {@link Order} reports. Whoever runs {@link #evictTo} serializes it (the
 * node's evictor holds its own lock).
 */
public final class DiskPolicy {

    /** How many of the oldest entries eviction compares. */
    public static final int SAMPLE = 16;
    /**
     * Past its bound, the tier is evicted down to this fraction of it (1% headroom), so that
     * one eviction pass makes room for a few more fills rather than one.
     */
    public static final double EVICTION_TARGET = 0.99;
    /** The recency bucket: a hit moves its entry to the young end at most once per bucket. */
    public static final long BUCKET_MS = 60_000;

    private final long maxBytes;
    private final FrequencySketch sketch;

    /**
     * A policy for a tier of {@code maxBytes}. Its sketch has a counter per 2 KiB of the bound
     * (twice as many as the tier holds entries of 4 KiB, at least 1,024 and at most 4 Mi, that
     * is 32 MiB of heap from a 8 GiB tier up): fewer counters collide more and forget sooner, which
     * cost a few points of hit ratio in the simulator at small sizes.
     */
    public DiskPolicy(long maxBytes) {
        this(maxBytes, Runnable::run);
    }

    /** As {@link #DiskPolicy(long)}, its sketch halved on {@code halving} (the node's: off the I/O threads). */
    public DiskPolicy(long maxBytes, java.util.concurrent.Executor halving) {
        this.maxBytes = maxBytes;
        this.sketch = new FrequencySketch((int) Math.min(1 << 22, Math.max(1024, maxBytes / 2048)), halving);
    }

    /**
     * The tier's recency order as the policy sees it. The node's is kept in RocksDB
     * ({@code lru} and {@code atime}), the simulator's in a map; both run the same decisions.
     *
     * @param <E> an entry of the order as its keeper knows it (a key, or a key with its record)
     * @param <X> what the keeper's storage throws
     */
    public interface Order<E, X extends Exception> {

        /** Bytes the tier holds now (committed entries and reservations). */
        long usedBytes();

        /** Entries the tier holds now. */
        long entries();

        /**
         * The oldest entries, oldest first: at least {@value #SAMPLE} when there are as many.
         * A read that cannot fail (a sample cut short by an error is only a smaller sample).
         */
        List<E> oldest();

        /** The cache key of {@code entry}. */
        String key(E entry);

        /** Moves {@code entries}, sampled from the old end, to the young end of the order. */
        void requeue(List<E> entries) throws X;

        /** Removes {@code victim}, sampled from the old end, from the tier. */
        void evict(E victim) throws X;

        /** Whether eviction must stop now (the tier is closing); false unless told otherwise. */
        default boolean stopped() {
            return false;
        }
    }

    /** Records a request for {@code key}: hits of any tier and misses alike. */
    public void recordAccess(String key) {
        sketch.increment(FrequencySketch.hash(key));
    }

    /** How often {@code key} was asked for recently, 0 to 15. */
    public int frequency(String key) {
        return sketch.frequency(FrequencySketch.hash(key));
    }

    /**
     * What eviction does with the oldest entries: which one goes, and which go back to the young
     * end of the order.
     *
     * @param victim index (in the sample) of the entry to evict
     * @param victimFrequency its frequency, the bar a newcomer must reach to be admitted
     * @param requeue indexes of the sampled entries asked for more often than the victim
     */
    public record Choice(int victim, int victimFrequency, List<Integer> requeue) {
    }

    /**
     * Chooses among {@code oldest} (keys, oldest first, at most {@link #SAMPLE} of them are
     * looked at); null when there is none. The first of the least popular is the victim.
     */
    public @Nullable Choice choose(List<String> oldest) {
        int n = Math.min(SAMPLE, oldest.size());
        if (n == 0) {
            return null;
        }
        int[] frequencies = new int[n];
        int victim = 0;
        for (int i = 0; i < n; i++) {
            frequencies[i] = frequency(oldest.get(i));
            if (frequencies[i] < frequencies[victim]) {
                victim = i;
            }
        }
        int min = frequencies[victim];
        List<Integer> requeue = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (frequencies[i] > min) {
                requeue.add(i);
            }
        }
        return new Choice(victim, min, List.copyOf(requeue));
    }

    /** Whether a newcomer takes the room of an entry asked for {@code victimFrequency} times. */
    public boolean admits(String newcomer, int victimFrequency) {
        return frequency(newcomer) >= victimFrequency;
    }

    /**
     * Whether the tier takes a new object of about {@code size} bytes ({@code -1} when its length
     * is unknown: it is judged as a typical entry of the tier). It is taken when it fits; when it
     * does not, only if it is asked for at least as often as the victim eviction would take, so
     * one-hit wonders don't push out popular objects and recency still counts. An object over a
     * quarter of the bound is never taken.
     */
    public boolean admits(String key, long size, Order<?, ?> order) {
        if (size > maxBytes / 4) {
            return false;
        }
        long count = order.entries();
        long expected = size > 0 ? size : count == 0 ? 0 : order.usedBytes() / count;
        if (order.usedBytes() + expected <= maxBytes) {
            return true;
        }
        Choice choice = choose(sampleKeys(order));
        return choice == null || admits(key, choice.victimFrequency());
    }

    /**
     * Evicts from {@code order} until it holds at most {@code target} bytes: each round samples
     * the oldest entries, gives the ones asked for more often than the victim their second chance,
     * then evicts the victim. Stops early when the order is empty or {@link Order#stopped}.
     */
    public <E, X extends Exception> void evictTo(Order<E, X> order, long target) throws X {
        while (order.usedBytes() > target && !order.stopped()) {
            List<E> sample = order.oldest();
            Choice choice = choose(keys(order, sample));
            if (choice == null) {
                return;
            }
            if (!choice.requeue().isEmpty()) {
                List<E> spared = new ArrayList<>(choice.requeue().size());
                for (int i : choice.requeue()) {
                    spared.add(sample.get(i));
                }
                order.requeue(spared);
            }
            order.evict(sample.get(choice.victim()));
        }
    }

    /**
     * The bytes to evict down to so that {@code bytes} more fit within the bound, or -1 when
     * they fit already: a fill makes room on its own thread before it starts and before it
     * commits.
     */
    public long roomTarget(long usedBytes, long bytes) {
        if (bytes > 0 && usedBytes + bytes > maxBytes) {
            return Math.max(0, maxBytes - bytes);
        }
        return -1;
    }

    /** Whether a tier holding {@code usedBytes} is past its bound, so the evictor must run. */
    public boolean overBound(long usedBytes) {
        return usedBytes > maxBytes;
    }

    /** The bytes a tier past its bound is evicted down to: {@link #EVICTION_TARGET} of it. */
    public long evictionTarget() {
        return (long) (maxBytes * EVICTION_TARGET);
    }

    /** The recency bucket of an access at {@code millis}. */
    public static long bucket(long millis) {
        return millis / BUCKET_MS;
    }

    private static <E> List<String> sampleKeys(Order<E, ?> order) {
        return keys(order, order.oldest());
    }

    private static <E> List<String> keys(Order<E, ?> order, List<E> entries) {
        List<String> keys = new ArrayList<>(entries.size());
        for (E e : entries) {
            keys.add(order.key(e));
        }
        return keys;
    }
}

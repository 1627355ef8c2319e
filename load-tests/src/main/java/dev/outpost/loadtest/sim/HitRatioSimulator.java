package dev.outpost.loadtest.sim;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trace-driven hit-ratio simulation, in the manner of Caffeine's simulator: a trace of object
 * ids is replayed against a cache policy bounded in bytes, each miss inserting the object. The
 * policies are Caffeine's W-TinyLFU configured as the edge's memory tier is (bounded by weight
 * in bytes, a weigher per entry) with a same-thread executor so eviction happens in line (replays then
 * agree to within Caffeine's small random admission jitter), LRU as the reference most
 * proxy caches approximate, and the edge's own disk tier policy ({@link DiskTierModel}), which
 * bounds what a node holds.
 */
public final class HitRatioSimulator {

    /** The policies the simulator knows. */
    public enum Policy {
        /** Caffeine (W-TinyLFU), as the edge's memory tier uses it. */
        CAFFEINE_W_TINYLFU("Caffeine W-TinyLFU"),
        /** Least recently used, the reference. */
        LRU("LRU"),
        /** The edge's disk tier ({@link DiskTierModel}): what holds the node's working set. */
        OUTPOST_DISK("Outpost disk tier");

        private final String display;

        Policy(String display) {
            this.display = display;
        }

        public String display() {
            return display;
        }
    }

    /** Hits and requests of one replay. */
    public record Result(Policy policy, long capacityBytes, long hits, long requests) {
        public double hitRatio() {
            return requests == 0 ? 0 : (double) hits / requests;
        }
    }

    private HitRatioSimulator() {
    }

    /** Replays {@code trace} (object ids) against {@code policy} holding at most {@code capacityBytes} of objects of {@code objectSize}. */
    public static Result simulate(Policy policy, int[] trace, long capacityBytes, long objectSize) {
        long hits = switch (policy) {
            case CAFFEINE_W_TINYLFU -> caffeine(trace, capacityBytes, objectSize);
            case LRU -> lru(trace, capacityBytes, objectSize);
            case OUTPOST_DISK -> outpostDisk(trace, capacityBytes, objectSize);
        };
        return new Result(policy, capacityBytes, hits, trace.length);
    }

    private static long caffeine(int[] trace, long capacityBytes, long objectSize) {
        Cache<Integer, Boolean> cache = Caffeine.newBuilder()
                .maximumWeight(capacityBytes)
                .weigher((Integer k, Boolean v) -> (int) Math.min(Integer.MAX_VALUE, objectSize))
                .executor(Runnable::run)
                .build();
        long hits = 0;
        for (int id : trace) {
            if (cache.getIfPresent(id) != null) {
                hits++;
            } else {
                cache.put(id, Boolean.TRUE);
            }
        }
        return hits;
    }

    private static long outpostDisk(int[] trace, long capacityBytes, long objectSize) {
        DiskTierModel tier = new DiskTierModel(capacityBytes, objectSize);
        long hits = 0;
        for (int id : trace) {
            if (tier.request("/obj/z-" + id)) {
                hits++;
            }
        }
        return hits;
    }

    private static long lru(int[] trace, long capacityBytes, long objectSize) {
        long maxEntries = capacityBytes / Math.max(1, objectSize);
        Map<Integer, Boolean> cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                return size() > maxEntries;
            }
        };
        long hits = 0;
        for (int id : trace) {
            if (cache.get(id) != null) {
                hits++;
            } else {
                cache.put(id, Boolean.TRUE);
            }
        }
        return hits;
    }
}

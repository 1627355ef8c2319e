package dev.outpost.loadtest.sim;

import dev.outpost.edge.cache.DiskPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The edge's disk tier without I/O: {@link DiskPolicy} (the same class the node runs) over a
 * model of the tier's recency order, so its hit ratio is measured on a trace in seconds.
 *
 * <p>What is modelled as the tier does it: every request feeds the policy's sketch; a hit moves
 * its entry to the young end at most once per recency bucket (a minute on the node; a replay of
 * a benchmark trace takes well under one, so the model keeps a single bucket and a hit leaves
 * the order as it is); a miss asks for admission against the victim eviction would take, and
 * an admitted fill is appended at the young end; past the bound, eviction takes victims (and
 * gives sampled survivors their second chance) until the tier is 1% under it. Objects are of one
 * size, so the bound is a number of entries.
 */
final class DiskTierModel {

    private static final double EVICTION_TARGET = 0.99;

    private final DiskPolicy policy;
    private final long maxEntries;
    /** sequence → key, oldest first: the tier's {@code lru} column family. */
    private final TreeMap<Long, String> order = new TreeMap<>();
    /** key → its sequence: the tier's {@code atime} column family. */
    private final Map<String, Long> position = new HashMap<>();
    private long nextSequence;

    DiskTierModel(long capacityBytes, long objectSize) {
        this.maxEntries = Math.max(1, capacityBytes / Math.max(1, objectSize));
        this.policy = new DiskPolicy(capacityBytes);
    }

    /** Replays one request; true when it was a hit. */
    boolean request(String key) {
        policy.recordAccess(key);
        if (position.containsKey(key)) {
            return true;
        }
        if (admit(key)) {
            append(key);
            if (order.size() > maxEntries) {
                evictTo((long) (maxEntries * EVICTION_TARGET));
            }
        }
        return false;
    }

    private boolean admit(String key) {
        if (order.size() < maxEntries) {
            return true;
        }
        DiskPolicy.Choice c = policy.choose(oldest());
        return c == null || policy.admits(key, c.victimFrequency());
    }

    private void evictTo(long target) {
        while (order.size() > target) {
            List<String> sample = oldest();
            DiskPolicy.Choice c = policy.choose(sample);
            if (c == null) {
                return;
            }
            for (int i : c.requeue()) {
                String k = sample.get(i);
                order.remove(position.get(k));
                append(k);
            }
            String victim = sample.get(c.victim());
            order.remove(position.remove(victim));
        }
    }

    private void append(String key) {
        long seq = nextSequence++;
        order.put(seq, key);
        position.put(key, seq);
    }

    private List<String> oldest() {
        List<String> sample = new ArrayList<>(DiskPolicy.SAMPLE);
        Iterator<String> it = order.values().iterator();
        while (it.hasNext() && sample.size() < DiskPolicy.SAMPLE) {
            sample.add(it.next());
        }
        return sample;
    }
}

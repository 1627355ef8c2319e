package dev.outpost.loadtest.sim;

import dev.outpost.edge.cache.DiskPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The edge's disk tier without I/O: {@link DiskPolicy} (the same class the node runs, with its
 * admission rule and its eviction loop) over a model of the tier's recency order, so its hit
 * ratio is measured on a trace in seconds.
 *
 * <p>What is modelled as the tier does it: every request feeds the policy's sketch; a hit moves
 * its entry to the young end at most once per recency bucket (a minute on the node; a replay of
 * a benchmark trace takes well under one, so the model keeps a single bucket and a hit leaves
 * the order as it is); a miss asks {@link DiskPolicy#admits(String, long, DiskPolicy.Order)};
 * an admitted fill makes room for itself first ({@link DiskPolicy#roomTarget}, evicting with
 * {@link DiskPolicy#evictTo}: victims go, sampled survivors get their second chance) and is then
 * appended at the young end; a tier still past its bound is evicted to
 * {@link DiskPolicy#evictionTarget}, as the node's evictor thread does. Objects are of one size,
 * which is also their weight.
 */
final class DiskTierModel implements DiskPolicy.Order<String, RuntimeException> {

    private final DiskPolicy policy;
    private final long objectSize;
    /** sequence → key, oldest first: the tier's {@code lru} column family. */
    private final TreeMap<Long, String> order = new TreeMap<>();
    /** key → its sequence: the tier's {@code atime} column family. */
    private final Map<String, Long> position = new HashMap<>();
    private long nextSequence;

    DiskTierModel(long capacityBytes, long objectSize) {
        this.objectSize = Math.max(1, objectSize);
        this.policy = new DiskPolicy(capacityBytes);
    }

    /** Replays one request; true when it was a hit. */
    boolean request(String key) {
        policy.recordAccess(key);
        if (position.containsKey(key)) {
            return true;
        }
        if (policy.admits(key, objectSize, this)) {
            long room = policy.roomTarget(usedBytes(), objectSize);
            if (room >= 0) {
                policy.evictTo(this, room);
            }
            append(key);
            if (policy.overBound(usedBytes())) {
                policy.evictTo(this, policy.evictionTarget());
            }
        }
        return false;
    }

    @Override
    public long usedBytes() {
        return order.size() * objectSize;
    }

    @Override
    public long entries() {
        return order.size();
    }

    @Override
    public List<String> oldest() {
        List<String> sample = new ArrayList<>(DiskPolicy.SAMPLE);
        Iterator<String> it = order.values().iterator();
        while (it.hasNext() && sample.size() < DiskPolicy.SAMPLE) {
            sample.add(it.next());
        }
        return sample;
    }

    @Override
    public String key(String entry) {
        return entry;
    }

    @Override
    public void requeue(List<String> spared) {
        for (String k : spared) {
            order.remove(position.get(k));
            append(k);
        }
    }

    @Override
    public void evict(String victim) {
        order.remove(position.remove(victim));
    }

    private void append(String key) {
        long seq = nextSequence++;
        order.put(seq, key);
        position.put(key, seq);
    }
}

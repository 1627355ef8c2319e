package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the disk tier within its bound: the recency order in RocksDB ({@code lru} and
 * {@code atime}) as a {@link DiskPolicy.Order}, eviction by the policy's choices on the caller's
 * thread ({@link #makeRoom}, {@link #evictTo}), and the background thread that evicts a tier
 * found past its bound and runs the tier's recovery attempts after write failures.
 *
 * <p>Which entry goes and which is given a second chance is {@link DiskPolicy}'s decision; this
 * class only reads the oldest records, moves the spared ones to the young end and has the tier
 * delete the victim ({@link DiskTier#evictEntry}, which takes the entry's key lock, fixes the
 * counts and tells the memory tier). An {@code lru} record is current only while {@code atime}
 * names it, so a record left behind by a race is dropped when eviction meets it. Samples seek to
 * where the last one found the oldest live record ({@link RecencyFloor}, told of every record
 * written here and by {@link DiskEntries}), past the tombstones of the old end.
 *
 * <p>Lock discipline: eviction rounds are serialized on this object's monitor (two threads
 * making room never pick the same victim), always inside the store's read side
 * ({@link DiskStore#enter}) and never under a key lock; key locks are taken inside it, so the
 * order is store, evictor, key lock. Sampling for admission ({@link #oldest}) takes no lock: it
 * only reads. The thread holds no lock between rounds.
 *
 * <p>Logs under {@link DiskTier}'s name, the one operators and tests filter the tier's lines on.
 */
final class DiskEvictor implements DiskPolicy.Order<DiskEvictor.Record, RocksDBException> {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);
    private static final long PERIOD_NANOS = 100_000_000L;

    /** An entry of the recency order: its {@code lru} record and its key. */
    record Record(byte[] lruKey, String key) {
    }

    private final DiskTier tier;
    private final DiskStore store;
    private final DiskPolicy policy;
    /** Where the oldest live {@code lru} record is at the earliest, so samples seek past the queue's tombstones. */
    private final RecencyFloor floor;
    private final Thread thread;

    DiskEvictor(DiskTier tier, DiskStore store, DiskPolicy policy, RecencyFloor floor) {
        this.tier = tier;
        this.store = store;
        this.policy = policy;
        this.floor = floor;
        this.thread = Thread.ofPlatform().name("disk-evictor").daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Wakes the thread when the tier is past its bound. */
    void wakeIfOver() {
        if (policy.overBound(tier.usedBytes())) {
            LockSupport.unpark(thread);
        }
    }

    /** Wakes the thread so that it sees the tier closing. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Waits (up to 5 s) for the thread to end, once the store refuses operations. */
    void join() {
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (!store.isClosed()) {
            try {
                tier.recoverIfDue();
            } catch (RuntimeException e) {
                LOG.warn("disk tier recovery attempt failed: {}", e.toString());
            }
            if (policy.overBound(tier.usedBytes())) {
                try {
                    evictTo(policy.evictionTarget());
                } catch (RuntimeException e) {
                    LOG.warn("eviction failed: {}", e.toString());
                }
            }
            LockSupport.parkNanos(PERIOD_NANOS);
        }
    }

    /** Evicts now, on the caller's thread (inside {@link DiskStore#enter}), so that {@code bytes} more fit within the bound. */
    void makeRoom(long bytes) {
        long target = policy.roomTarget(tier.usedBytes(), bytes);
        if (target >= 0) {
            evictTo(target);
        }
    }

    /** Evicts the entries the policy picks until at most {@code target} bytes are used. */
    synchronized void evictTo(long target) {
        if (!store.enter()) {
            return;
        }
        try {
            policy.evictTo(this, target);
        } catch (RocksDBException e) {
            tier.failed(e);
        } finally {
            store.exit();
        }
    }

    @Override
    public long usedBytes() {
        return tier.usedBytes();
    }

    @Override
    public long entries() {
        return tier.entries();
    }

    @Override
    public boolean stopped() {
        return store.isClosed();
    }

    @Override
    public String key(Record entry) {
        return entry.key();
    }

    /** The oldest records of the recency order, at most {@link DiskPolicy#SAMPLE}; inside {@link DiskStore#enter}. */
    @Override
    public List<Record> oldest() {
        List<Record> out = new ArrayList<>(DiskPolicy.SAMPLE);
        RecencyFloor.Start start = floor.begin();
        try (RocksIterator it = store.iterator(Family.LRU)) {
            if (start.seek() == null) {
                it.seekToFirst();
            } else {
                it.seek(start.seek());
            }
            for (int i = 0; i < DiskPolicy.SAMPLE && it.isValid(); i++, it.next()) {
                out.add(new Record(it.key(), new String(it.value(), StandardCharsets.UTF_8)));
            }
        }
        if (!out.isEmpty()) {
            floor.advance(start, out.get(0).lruKey());
        }
        return out;
    }

    /**
     * Moves the entries the policy gave a second chance to the young end of the order: a new
     * record in the current bucket, after every fill so far. A record no longer current is dropped.
     */
    @Override
    public void requeue(List<Record> spared) throws RocksDBException {
        long bucket = tier.bucket();
        List<byte[]> written = new ArrayList<>(spared.size());
        try (DiskStore.Batch batch = store.batch()) {
            for (Record r : spared) {
                if (!isCurrent(r)) {
                    batch.delete(Family.LRU, r.lruKey());
                    continue;
                }
                byte[] moved = DiskLayout.lruKey(bucket, tier.newFillIdOpen());
                byte[] k = DiskLayout.utf8(r.key());
                batch.delete(Family.LRU, r.lruKey());
                batch.put(Family.LRU, moved, k);
                batch.put(Family.ATIME, k, moved);
                written.add(moved);
            }
            store.write(batch);
        }
        for (byte[] moved : written) {
            floor.lower(moved);
        }
    }

    /** Evicts the entry of a current record; a stale record, or one whose entry is gone, is just dropped. */
    @Override
    public void evict(Record victim) throws RocksDBException {
        if (!isCurrent(victim) || !tier.evictEntry(victim.key())) {
            store.delete(Family.LRU, victim.lruKey());
        }
    }

    /** Whether {@code r} is the recency record its key has now (not one left behind). */
    private boolean isCurrent(Record r) throws RocksDBException {
        return Arrays.equals(store.getPlain(Family.ATIME, DiskLayout.utf8(r.key())), r.lruKey());
    }
}

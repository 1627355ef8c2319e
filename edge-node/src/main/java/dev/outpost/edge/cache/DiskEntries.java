package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ObjLongConsumer;
import org.jspecify.annotations.Nullable;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stored entries of the disk tier: reading an entry and its chunks with their checks, and
 * the changes that make an entry appear or go as a whole (commit, update, recency, delete, drop
 * when damaged), each in one batch where RocksDB allows it, with the tier's counts kept in step.
 * A damaged entry (a checksum, a decode or RocksDB's own read failing) is dropped and counted
 * ({@code outpost_cache_corrupt_total}) so it is fetched again; a read error of the device pauses
 * writes instead ({@link DiskTier#failed}).
 *
 * <p>Lock discipline: every method runs inside {@link DiskStore#enter} (its own, or its
 * caller's for the ones the tier and the evictor call from inside one). Changes to one key's
 * records hold that key's stripe of {@link #keyLocks} (64 reentrant locks by key hash): a
 * commit, an update, a delete and the drop of an unreadable entry under the same key never
 * interleave. A key lock is taken after the evictor's monitor when both are held, never before
 * it, and no other lock is taken under it. Counts are atomics; the listener is volatile.
 *
 * <p>Logs under {@link DiskTier}'s name, the one operators and tests filter the tier's lines on.
 */
final class DiskEntries {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);

    private final DiskTier tier;
    private final DiskStore store;
    private final AtomicLong usedBytes;
    private final AtomicLong entries;
    private final Counter corrupt;
    private final Counter evictions;
    private final ReentrantLock[] keyLocks = new ReentrantLock[64];
    /** Told of every {@code lru} record written, so samples never seek past a live one. */
    private final RecencyFloor floor;
    /** Told of each entry eviction removes (key, fill id), so the memory tier drops its copy too. */
    private volatile ObjLongConsumer<String> evictionListener = (key, fillId) -> { };

    DiskEntries(DiskTier tier, DiskStore store, AtomicLong usedBytes, AtomicLong entries, Counter corrupt,
                Counter evictions, RecencyFloor floor) {
        this.floor = floor;
        this.tier = tier;
        this.store = store;
        this.usedBytes = usedBytes;
        this.entries = entries;
        this.corrupt = corrupt;
        this.evictions = evictions;
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new ReentrantLock();
        }
    }

    /** Sets who is told of the entries eviction removes. */
    void onEviction(ObjLongConsumer<String> listener) {
        this.evictionListener = listener;
    }

    /** The stored response under {@code key}, or null. */
    CachedResponse get(String key) throws CorruptEntryException {
        if (!store.enter()) {
            return null;
        }
        try {
            return getOpen(key);
        } finally {
            store.exit();
        }
    }

    private CachedResponse getOpen(String key) throws CorruptEntryException {
        byte[] value;
        try {
            value = store.get(Family.META, DiskLayout.utf8(key));
        } catch (RocksDBException e) {
            if (DiskStore.isCorruption(e)) {
                dropUnreadable(key, e);
                throw new CorruptEntryException("metadata unreadable: " + e.getMessage());
            }
            tier.failed(e);
            return null;
        }
        if (value == null) {
            return null;
        }
        try {
            return MetaCodec.decode(value);
        } catch (CorruptEntryException e) {
            dropCorrupt(key, e);
            throw e;
        }
    }

    /**
     * Reads and verifies one chunk. {@code dropOnDamage} false is for a fill reading back its
     * own chunks: a chunk it lacks (its fill was abandoned) says nothing of the entry stored
     * under the key, which must not be dropped for it.
     */
    ByteBuffer readChunk(CachedResponse r, int index, boolean dropOnDamage) throws CorruptEntryException {
        if (!store.enter()) {
            throw new CorruptEntryException("disk tier closed");
        }
        try {
            return readChunkOpen(r, index, dropOnDamage);
        } finally {
            store.exit();
        }
    }

    private ByteBuffer readChunkOpen(CachedResponse r, int index, boolean dropOnDamage) throws CorruptEntryException {
        byte[] value;
        try {
            value = store.getChunk(DiskLayout.chunkKey(r.fillId(), index));
        } catch (RocksDBException e) {
            CorruptEntryException c = new CorruptEntryException("chunk " + index + " unreadable: " + e.getMessage());
            if (!dropOnDamage) {
                throw c;
            }
            if (DiskStore.isCorruption(e)) {
                // a damaged table or blob file: the entry goes, as for a checksum mismatch; a
                // read error of the device pauses writes instead
                dropCorrupt(r.key(), c);
            } else {
                tier.failed(e);
            }
            throw c;
        }
        long expected = Math.min(r.chunkSize(), r.bodyLength() - (long) index * r.chunkSize());
        if (value == null || value.length != expected + DiskLayout.CHUNK_CRC_BYTES) {
            CorruptEntryException e = new CorruptEntryException("chunk " + index + " missing or truncated");
            // a chunk that is gone because its entry was just replaced or purged (the reader had
            // its metadata from before) is no damage: nothing to count, nothing to drop
            if (dropOnDamage && (value != null || stillStored(r))) {
                dropCorrupt(r.key(), e);
            }
            throw e;
        }
        if (!DiskLayout.chunkIntact(value)) {
            CorruptEntryException e = new CorruptEntryException("chunk " + index + " checksum mismatch");
            if (dropOnDamage) {
                dropCorrupt(r.key(), e);
            } else {
                corrupt.increment();
            }
            throw e;
        }
        return DiskLayout.chunkBody(value);
    }

    /** Whether {@code r} is still the entry stored under its key (not replaced, not removed). */
    private boolean stillStored(CachedResponse r) {
        try {
            byte[] v = store.get(Family.META, DiskLayout.utf8(r.key()));
            return v != null && MetaCodec.decode(v).fillId() == r.fillId();
        } catch (RocksDBException | CorruptEntryException e) {
            return true; // unreadable metadata is damage too
        }
    }

    private void dropCorrupt(String key, CorruptEntryException e) {
        corrupt.increment();
        LOG.warn("dropping corrupt disk entry {}: {}", key, e.getMessage());
        delete(key);
    }

    /**
     * Drops an entry whose metadata RocksDB itself can't read (its table block is damaged), so
     * it is fetched again rather than failing on every lookup. Its chunks can't be found
     * without the metadata and stay until the tier is rebuilt.
     */
    private void dropUnreadable(String key, RocksDBException e) {
        corrupt.increment();
        LOG.warn("dropping unreadable disk entry {}: {}", key, e.getMessage());
        byte[] k = DiskLayout.utf8(key);
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            byte[] at = store.getPlain(Family.ATIME, k);
            try (DiskStore.Batch batch = store.batch()) {
                batch.delete(Family.META, k);
                if (at != null) {
                    batch.delete(Family.LRU, at);
                }
                batch.delete(Family.ATIME, k);
                store.write(batch);
            }
        } catch (RocksDBException again) {
            tier.failed(again);
        } finally {
            lock.unlock();
        }
    }

    /** The stripe of {@code keyLocks} that guards the records of {@code key}. */
    ReentrantLock lockFor(String key) {
        return keyLocks[(key.hashCode() & 0x7fffffff) % keyLocks.length];
    }

    /**
     * Makes a fill visible, with {@code r}'s key lock held (inside {@link DiskStore#enter}):
     * metadata, tags and recency in one batch with the removal of its pending mark. A previous
     * entry under the same key is replaced and its chunks deleted.
     */
    void commitLocked(CachedResponse r, long reserved, @Nullable ByteBuffer body) throws RocksDBException {
        byte[] key = DiskLayout.utf8(r.key());
        CachedResponse previous = null;
        try {
            previous = get(r.key());
        } catch (CorruptEntryException ignored) {
            // already dropped
        }
        try (DiskStore.Batch batch = store.batch()) {
            if (previous != null) {
                removeInBatch(batch, previous, key);
            }
            batch.put(Family.META, key, MetaCodec.encode(r));
            for (String tag : r.tags()) {
                batch.put(Family.TAGS, DiskLayout.tagKey(tag, r.key()), new byte[0]);
            }
            byte[] lruKey = DiskLayout.lruKey(tier.bucket(), r.fillId());
            batch.put(Family.LRU, lruKey, key);
            batch.put(Family.ATIME, key, lruKey);
            if (body == null) {
                batch.delete(Family.PENDING, DiskLayout.longBytes(r.fillId()));
            } else if (body.hasRemaining()) {
                batch.put(Family.CHUNKS, DiskLayout.chunkKey(r.fillId(), 0), DiskLayout.encodeChunk(body));
            }
            store.write(batch);
            floor.lower(lruKey);
        } catch (RocksDBException e) {
            tier.failed(e);
            throw e;
        }
        if (previous != null) {
            usedBytes.addAndGet(-previous.weight());
            entries.decrementAndGet();
            deleteChunks(previous.fillId());
        }
        usedBytes.addAndGet(r.weight() - reserved);
        entries.incrementAndGet();
    }

    /** Rewrites an entry's metadata (after a 304, or a soft purge); the body stays. */
    void update(CachedResponse r) {
        if (!store.enter()) {
            return;
        }
        ReentrantLock lock = lockFor(r.key());
        lock.lock();
        try {
            CachedResponse current = get(r.key());
            if (current == null || current.fillId() != r.fillId()) {
                return; // replaced or removed meanwhile
            }
            store.put(Family.META, DiskLayout.utf8(r.key()), MetaCodec.encode(r));
        } catch (RocksDBException e) {
            tier.failed(e);
        } catch (CorruptEntryException ignored) {
            // dropped
        } finally {
            lock.unlock();
            store.exit();
        }
    }

    /** Moves an entry to the current recency bucket if it is in an older one. */
    void touch(CachedResponse r) {
        if (!store.enter()) {
            return;
        }
        try {
            if (tier.isFailing()) {
                return;
            }
            byte[] key = DiskLayout.utf8(r.key());
            long bucket = tier.bucket();
            byte[] current = store.getPlain(Family.ATIME, key);
            if (current != null && DiskLayout.bucketOf(current) == bucket) {
                return;
            }
            byte[] lruKey = DiskLayout.lruKey(bucket, r.fillId());
            try (DiskStore.Batch batch = store.batch()) {
                if (current != null) {
                    batch.delete(Family.LRU, current);
                }
                batch.put(Family.LRU, lruKey, key);
                batch.put(Family.ATIME, key, lruKey);
                store.write(batch);
                floor.lower(lruKey);
            }
        } catch (RocksDBException e) {
            tier.failed(e);
        } finally {
            store.exit();
        }
    }

    /** Deletes the entry under {@code key} if it is the one fill {@code fillId} stored. */
    void deleteIfFill(String key, long fillId) {
        if (!store.enter()) {
            return;
        }
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            CachedResponse current = getOpen(key);
            if (current != null && current.fillId() == fillId) {
                deleteOpen(key);
            }
        } catch (CorruptEntryException ignored) {
            // dropped already
        } finally {
            lock.unlock();
            store.exit();
        }
    }

    /** Deletes the entry under {@code key}, if any. */
    boolean delete(String key) {
        if (!store.enter()) {
            return false;
        }
        try {
            return deleteOpen(key);
        } finally {
            store.exit();
        }
    }

    /**
     * Removes the victim the evictor chose (inside {@link DiskStore#enter}): counts the eviction
     * and tells the memory tier; false when there was no readable entry to remove.
     */
    boolean evictEntry(String key) {
        CachedResponse r = null;
        try {
            r = get(key);
        } catch (CorruptEntryException ignored) {
            // dropped by get
        }
        if (r != null && delete(key)) {
            evictions.increment();
            evictionListener.accept(key, r.fillId());
            return true;
        }
        return false;
    }

    private boolean deleteOpen(String key) {
        byte[] k = DiskLayout.utf8(key);
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            byte[] value = store.getPlain(Family.META, k);
            if (value == null) {
                return false;
            }
            CachedResponse r;
            try {
                r = MetaCodec.decode(value);
            } catch (CorruptEntryException e) {
                store.delete(Family.META, k);
                byte[] at = store.getPlain(Family.ATIME, k);
                if (at != null) {
                    store.delete(Family.LRU, at);
                    store.delete(Family.ATIME, k);
                }
                return true;
            }
            try (DiskStore.Batch batch = store.batch()) {
                removeInBatch(batch, r, k);
                store.write(batch);
            }
            usedBytes.addAndGet(-r.weight());
            entries.decrementAndGet();
            deleteChunks(r.fillId());
            return true;
        } catch (RocksDBException e) {
            tier.failed(e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Adds the removal of every record of entry {@code r} but its chunks to {@code batch}. */
    private void removeInBatch(DiskStore.Batch batch, CachedResponse r, byte[] key) throws RocksDBException {
        batch.delete(Family.META, key);
        for (String tag : r.tags()) {
            batch.delete(Family.TAGS, DiskLayout.tagKey(tag, r.key()));
        }
        byte[] at = store.getPlain(Family.ATIME, key);
        if (at != null) {
            batch.delete(Family.LRU, at);
        }
        batch.delete(Family.ATIME, key);
    }

    void deleteChunks(long fillId) throws RocksDBException {
        store.deleteRange(Family.CHUNKS, DiskLayout.chunkKey(fillId, 0), DiskLayout.chunkKey(fillId + 1, 0));
    }

    /** Calls {@code action} with every stored key starting with {@code prefix} (empty: all). */
    void forEachKey(String prefix, Consumer<String> action) {
        if (!store.enter()) {
            return;
        }
        byte[] p = DiskLayout.utf8(prefix);
        try (RocksIterator it = store.iterator(Family.META)) {
            for (it.seek(p); it.isValid() && DiskLayout.startsWith(it.key(), p); it.next()) {
                action.accept(new String(it.key(), StandardCharsets.UTF_8));
            }
        } finally {
            store.exit();
        }
    }

    /** Every stored key tagged {@code tag}. */
    List<String> keysWithTag(String tag) {
        if (!store.enter()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        byte[] p = DiskLayout.tagKey(tag, "");
        try (RocksIterator it = store.iterator(Family.TAGS)) {
            for (it.seek(p); it.isValid() && DiskLayout.startsWith(it.key(), p); it.next()) {
                out.add(DiskLayout.keyOfTagKey(it.key(), p));
            }
        } finally {
            store.exit();
        }
        return out;
    }
}

package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ObjLongConsumer;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier: responses in RocksDB, bounded in bytes with its own eviction. This class is
 * what {@link TieredCache} and {@link Fill} call; it keeps the tier's counts, its fill ids, its
 * failure state and the rules that make an entry appear or go as a whole, and leaves the rest
 * to four parts: {@link DiskStore} (the RocksDB database: options, column families, reads,
 * writes, reopen, close), {@link DiskLayout} (the column families and the encodings of their
 * keys and values), {@link DiskPolicy} (admission and eviction decisions, pure, replayed by
 * {@code load-tests}' simulator) and {@link DiskEvictor} (the recency order, eviction by the
 * policy's choices, and the background thread). {@link DiskRecovery} paces the retries after
 * write failures.
 *
 * <p>A fill writes a pending mark, its chunks, then its metadata, tags and recency in one batch
 * that also clears the pending mark; after a crash, pending fills' chunks are deleted at start,
 * so a partial object is never visible. RocksDB never evicts by itself: the tier counts the
 * bytes of committed entries and of fills under way; a fill makes room before it starts and
 * before it commits, and the evictor keeps a tier found past its bound 1% under it.
 *
 * <p>Lock discipline: every operation runs between {@link DiskStore#enter} and
 * {@link DiskStore#exit} (the store's read side; a reopen or close takes its write side), and
 * does nothing once the tier is closing. Changes to one key's records (commit, update, delete,
 * dropping an unreadable entry) hold that key's stripe of {@code keyLocks}, taken after the
 * evictor's monitor when both are held, never before it. Fill-id reservations are made under
 * this object's monitor. Counts are atomics, read without locks.
 */
public final class DiskTier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);
    /** Past its bound, the tier is evicted down to this fraction of it: {@link DiskPolicy#EVICTION_TARGET}. */
    static final double EVICTION_TARGET = DiskPolicy.EVICTION_TARGET;

    private final Path dir;
    private final long maxBytes;
    private final InstantSource clock;
    private final DiskStore store;
    private final DiskRecovery recovery;
    private final DiskPolicy policy;
    private final DiskEvictor evictor;
    /** Fills with a smaller id began before the last reopen: their pending marks are gone. */
    private volatile long fillFloor;
    private final AtomicLong usedBytes = new AtomicLong();
    /** Told of each entry eviction removes (key, fill id), so the memory tier drops its copy too. */
    private volatile ObjLongConsumer<String> evictionListener = (key, fillId) -> { };
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong nextFillId = new AtomicLong();
    /** The end of the fill ids reserved in the database; raised under this object's monitor. */
    private volatile long fillIdCeiling;
    private final Counter evictions;
    private final Counter corrupt;
    private final Counter errors;
    private volatile long failingUntil;
    private final ReentrantLock[] keyLocks = new ReentrantLock[64];

    private DiskTier(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry, DiskStore store) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.store = store;
        this.policy = new DiskPolicy(maxBytes);
        this.evictions = Counter.builder("outpost.cache.evictions").tag("tier", "disk")
                .description("Entries evicted to keep a tier within its byte bound").register(registry);
        this.corrupt = Counter.builder("outpost.cache.corrupt")
                .description("Stored entries dropped because a checksum or decode failed").register(registry);
        this.errors = Counter.builder("outpost.cache.disk.errors")
                .description("Disk tier reads or writes that failed").register(registry);
        this.recovery = new DiskRecovery(dir, clock, registry);
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new ReentrantLock();
        }
        this.evictor = new DiskEvictor(this, store, policy);
    }

    /**
     * Opens (or creates) the tier in {@code dir}. A database that cannot be opened is moved
     * aside and the tier starts empty, loudly: a node with an empty cache serves, one that
     * refuses to start does not.
     */
    public static DiskTier open(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry) throws IOException {
        RocksDB.loadLibrary();
        Files.createDirectories(dir);
        try {
            return openOnce(dir, maxBytes, clock, registry);
        } catch (RocksDBException e) {
            if (!DiskStore.isCorruption(e)) {
                // a lock held by another process, no permission, no space: the operator's to fix,
                // and moving the directory would hide the data of the process that holds it
                throw new IOException("cannot open disk cache at " + dir + ": " + e.getMessage(), e);
            }
            Path aside = dir.resolveSibling(dir.getFileName() + ".corrupt-" + clock.millis());
            LOG.error("disk cache at {} cannot be opened ({}); moved aside to {}, starting with an empty disk tier",
                    dir, e.getMessage(), aside);
            Files.move(dir, aside);
            Files.createDirectories(dir);
            try {
                return openOnce(dir, maxBytes, clock, registry);
            } catch (RocksDBException again) {
                throw new IOException("cannot open disk cache at " + dir + ": " + again.getMessage(), again);
            }
        }
    }

    private static DiskTier openOnce(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry)
            throws RocksDBException {
        DiskTier tier = new DiskTier(dir, maxBytes, clock, registry, DiskStore.open(dir));
        try {
            tier.recover();
        } catch (RocksDBException | RuntimeException e) {
            // damage found while reading what is stored: release the files before they move
            tier.close();
            throw e;
        }
        // gauges last: a tier that failed to recover must not leave one reading its counts
        Gauge.builder("outpost.cache.bytes", tier.usedBytes, AtomicLong::get).tag("tier", "disk")
                .description("Bytes held by a cache tier").register(registry);
        Gauge.builder("outpost.cache.entries", tier.entries, AtomicLong::get).tag("tier", "disk")
                .description("Entries held by a cache tier").register(registry);
        tier.recovery.registerGauge(registry);
        tier.evictor.start();
        return tier;
    }

    /**
     * Deletes chunks of fills that never committed, counts what is stored, reserves fill ids.
     * Runs before the tier is shared, or under the store's write side during a reopen.
     */
    private void recover() throws RocksDBException {
        int dropped = 0;
        try (RocksIterator it = store.iterator(Family.PENDING)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long fillId = DiskLayout.readLong(it.key());
                store.deleteRange(Family.CHUNKS, DiskLayout.chunkKey(fillId, 0), DiskLayout.chunkKey(fillId + 1, 0));
                store.delete(Family.PENDING, it.key());
                dropped++;
            }
            it.status();
        }
        if (dropped > 0) {
            LOG.warn("dropped {} partial fills left by an interrupted run", dropped);
        }
        long bytes = 0;
        long count = 0;
        try (RocksIterator it = store.iterator(Family.META)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                try {
                    CachedResponse r = MetaCodec.decode(it.value());
                    bytes += r.weight();
                    count++;
                } catch (CorruptEntryException e) {
                    corrupt.increment();
                    store.delete(Family.META, it.key());
                }
            }
            it.status(); // an unreadable table block ends the scan early: the database is damaged
        }
        usedBytes.set(bytes);
        entries.set(count);
        byte[] seq = store.getPlain(Family.DEFAULT, DiskLayout.FILL_SEQ);
        long start = seq == null ? 1 : DiskLayout.readLong(seq);
        nextFillId.set(start);
        reserveFillIds(start);
        LOG.info("disk cache at {}: {} entries, {} bytes of {} allowed", dir, count, bytes, maxBytes);
    }

    private synchronized void reserveFillIds(long from) throws RocksDBException {
        fillIdCeiling = from + 100_000;
        store.put(Family.DEFAULT, DiskLayout.FILL_SEQ, DiskLayout.longBytes(fillIdCeiling));
    }

    private static RocksDBException closedException() {
        return new RocksDBException("disk tier closed");
    }

    /** A new fill id, unique across restarts. */
    long newFillId() throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            return newFillIdOpen();
        } finally {
            store.exit();
        }
    }

    /** {@link #newFillId} inside {@link DiskStore#enter}; also the sequence of a requeued recency record. */
    long newFillIdOpen() throws RocksDBException {
        long id = nextFillId.getAndIncrement();
        if (id >= fillIdCeiling) {
            synchronized (this) {
                if (id >= fillIdCeiling) {
                    try {
                        reserveFillIds(id + 1);
                    } catch (RocksDBException e) {
                        failed(e);
                        throw e;
                    }
                }
            }
        }
        return id;
    }

    /** Records a request for {@code key} in the admission sketch. */
    void recordAccess(String key) {
        policy.recordAccess(key);
    }

    /** Whether the tier takes a new object of about {@code size} bytes now (-1: unknown length). */
    boolean admit(String key, long size) {
        if (!store.enter()) {
            return false;
        }
        try {
            return !isFailing() && policy.admits(key, size, evictor);
        } finally {
            store.exit();
        }
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
            failed(e);
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

    /** Reads and verifies one chunk of a stored body; a damaged one drops the entry. */
    ByteBuffer readChunk(CachedResponse r, int index) throws CorruptEntryException {
        return readChunk(r, index, true);
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
                failed(e);
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
            failed(again);
        } finally {
            lock.unlock();
        }
    }

    /** Marks a fill as under way, so a crash before commit leaves nothing visible. */
    void beginFill(long fillId, String key, long reserve) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            evictor.makeRoom(reserve);
            try {
                store.put(Family.PENDING, DiskLayout.longBytes(fillId), DiskLayout.utf8(key));
            } catch (RocksDBException e) {
                failed(e); // the first write of a fill: a disk that refuses writes shows here first
                throw e;
            }
            usedBytes.addAndGet(reserve);
            evictor.wakeIfOver();
        } finally {
            store.exit();
        }
    }

    /** Writes one chunk (its checksum is computed here). */
    void writeChunk(long fillId, int index, ByteBuffer data) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            if (staleFill(fillId)) {
                throw new RocksDBException("disk tier reopened during the fill");
            }
            byte[] value = DiskLayout.encodeChunk(data);
            try {
                store.put(Family.CHUNKS, DiskLayout.chunkKey(fillId, index), value);
            } catch (RocksDBException e) {
                failed(e);
                throw e;
            }
        } finally {
            store.exit();
        }
    }

    /**
     * Makes a fill visible: metadata, tags and recency in one batch with the removal of its
     * pending mark. A previous entry under the same key is replaced and its chunks deleted.
     */
    void commit(CachedResponse r, long reserved) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            if (staleFill(r.fillId()) && r.bodyLength() > 0) {
                throw new RocksDBException("disk tier reopened during the fill");
            }
            evictor.makeRoom(r.weight() - reserved);
            ReentrantLock lock = lockFor(r.key());
            lock.lock();
            try {
                commitLocked(r, reserved);
            } finally {
                lock.unlock();
            }
        } finally {
            store.exit();
        }
    }

    private ReentrantLock lockFor(String key) {
        return keyLocks[(key.hashCode() & 0x7fffffff) % keyLocks.length];
    }

    private void commitLocked(CachedResponse r, long reserved) throws RocksDBException {
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
            byte[] lruKey = DiskLayout.lruKey(bucket(), r.fillId());
            batch.put(Family.LRU, lruKey, key);
            batch.put(Family.ATIME, key, lruKey);
            batch.delete(Family.PENDING, DiskLayout.longBytes(r.fillId()));
            store.write(batch);
        } catch (RocksDBException e) {
            failed(e);
            throw e;
        }
        if (previous != null) {
            usedBytes.addAndGet(-previous.weight());
            entries.decrementAndGet();
            deleteChunks(previous.fillId());
        }
        usedBytes.addAndGet(r.weight() - reserved);
        entries.incrementAndGet();
        evictor.wakeIfOver();
    }

    /** Reserves room for a fill of unknown length as it grows, evicting on the caller's thread if needed. */
    boolean reserve(long bytes) {
        if (!store.enter()) {
            return false;
        }
        try {
            evictor.makeRoom(bytes);
            usedBytes.addAndGet(bytes);
            evictor.wakeIfOver();
            return true;
        } finally {
            store.exit();
        }
    }

    /** Gives back bytes reserved for a fill that will not be stored here. */
    void release(long reserved) {
        usedBytes.addAndGet(-reserved);
    }

    /** Abandons a fill: its chunks go, its reservation is released. */
    void abort(long fillId, long reserved) {
        if (!store.enter()) {
            return;
        }
        try {
            if (!staleFill(fillId)) {
                usedBytes.addAndGet(-reserved); // a reopen recounted without the reservations of fills under way
            }
            try {
                deleteChunks(fillId);
                store.delete(Family.PENDING, DiskLayout.longBytes(fillId));
            } catch (RocksDBException e) {
                failed(e);
            }
        } finally {
            store.exit();
        }
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
            failed(e);
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
            if (isFailing()) {
                return;
            }
            byte[] key = DiskLayout.utf8(r.key());
            long bucket = bucket();
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
            }
        } catch (RocksDBException e) {
            failed(e);
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
            failed(e);
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

    private void deleteChunks(long fillId) throws RocksDBException {
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

    /** A persisted number under {@code name} in the tier's own state (0 when unset). */
    long marker(String name) {
        if (!store.enter()) {
            return 0;
        }
        try {
            byte[] v = store.getPlain(Family.DEFAULT, DiskLayout.markerKey(name));
            return v == null ? 0 : DiskLayout.readLong(v);
        } catch (RocksDBException e) {
            failed(e);
            return 0;
        } finally {
            store.exit();
        }
    }

    void setMarker(String name, long value) {
        if (!store.enter()) {
            return;
        }
        try {
            store.put(Family.DEFAULT, DiskLayout.markerKey(name), DiskLayout.longBytes(value));
        } catch (RocksDBException e) {
            failed(e);
        } finally {
            store.exit();
        }
    }

    long usedBytes() {
        return usedBytes.get();
    }

    long entries() {
        return entries.get();
    }

    long maxBytes() {
        return maxBytes;
    }

    /** The bytes the tier is evicted down to once past its bound: {@link #EVICTION_TARGET} of it. */
    long evictionTarget() {
        return policy.evictionTarget();
    }

    /** Evicts the entries the policy picks until at most {@code target} bytes are used. */
    void evictTo(long target) {
        evictor.evictTo(target);
    }

    /** The current recency bucket ({@link DiskPolicy#bucket}, on the node's clock). */
    long bucket() {
        return DiskPolicy.bucket(clock.millis());
    }

    /** Whether writes are being skipped after a failure (disk full, I/O error). */
    boolean isFailing() {
        return recovery.failing() || failingUntil > clock.millis();
    }

    /** {@code ok}, {@code failing} (writes skipped, recovery retried with backoff) or {@code off} (closed). */
    String state() {
        if (store.isClosed()) {
            return "off";
        }
        return isFailing() || !store.isOpen() ? "failing" : "ok";
    }

    /** What /healthz shows of the tier: its state, the last error, recoveries so far. */
    Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state());
        recovery.describe(m);
        return m;
    }

    /** A read or write failed: counts it and pauses disk writes until a recovery attempt works. */
    void failed(RocksDBException e) {
        errors.increment();
        long pause = recovery.failed(e.getMessage());
        LOG.warn("disk tier error: {}; writes to disk paused, next recovery attempt in {} ms", e.getMessage(), pause);
        // RocksDB resumes by itself after retryable errors such as a full disk
        // (max_bgerror_resume_count), not after others (a read-only filesystem): the evictor
        // thread retries (DiskRecovery) and reopens the database when the disk takes writes
        // again; until then new fills skip the disk tier.
        failingUntil = clock.millis() + pause;
    }

    /**
     * One recovery attempt when one is due (the evictor's thread runs it): the filesystem must
     * take a real write first (a probe file), then RocksDB must take one; if RocksDB still
     * refuses (it stays stopped after a non-retryable error), the database is closed and opened
     * again, its contents recounted.
     */
    void recoverIfDue() {
        if (!recovery.due()) {
            return;
        }
        String problem = recovery.probeFilesystem();
        if (problem == null) {
            problem = store.isOpen() ? probeDatabase() : "database closed";
            if (problem != null) {
                problem = reopen();
            }
        }
        if (problem == null) {
            failingUntil = 0;
            recovery.recovered();
        } else {
            failingUntil = clock.millis() + recovery.stillFailing(problem);
        }
    }

    private String probeDatabase() {
        if (!store.enter()) {
            return "closed";
        }
        try {
            store.put(Family.DEFAULT, DiskLayout.WRITE_PROBE, DiskLayout.longBytes(clock.millis()));
            return null;
        } catch (RocksDBException e) {
            return e.getMessage();
        } finally {
            store.exit();
        }
    }

    /** Closes and opens the database again, recounting it; null when it worked. */
    private String reopen() {
        String problem = store.reopen(() -> {
            recover();
            fillFloor = nextFillId.get();
        });
        if (problem == null) {
            LOG.info("disk tier reopened after write failures: {} entries, {} bytes", entries.get(), usedBytes.get());
        }
        return problem;
    }

    /** A fill that began before the last reopen: its pending mark and reservation are gone. */
    private boolean staleFill(long fillId) {
        return fillId < fillFloor;
    }

    /** Sets who is told of the entries eviction removes. */
    void onEviction(ObjLongConsumer<String> listener) {
        this.evictionListener = listener;
    }

    /** The {@code chunks} key of a chunk ({@link DiskLayout#chunkKey}), for tools that open a stopped node's database. */
    static byte[] chunkKey(long fillId, int index) {
        return DiskLayout.chunkKey(fillId, index);
    }

    @Override
    public void close() {
        if (store.isClosed()) {
            return;
        }
        evictor.wake();
        if (!store.markClosed()) {
            return;
        }
        evictor.join();
        store.close();
    }
}

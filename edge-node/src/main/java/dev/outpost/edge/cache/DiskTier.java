package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ObjLongConsumer;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier: responses in RocksDB, bounded in bytes with its own eviction. This class is
 * what {@link TieredCache} and {@link Fill} call, a facade over the parts that do the work, one
 * job each:
 * <ul>
 *   <li>{@link DiskStore}: the RocksDB database (options, column families, reads, writes and
 *       batches, reopen, close) and the lock that keeps it from closing under an operation;
 *   <li>{@link DiskLayout}: the column families and the encodings of their keys and values;
 *   <li>{@link DiskEntries}: reading entries and their chunks with their checks, and the changes
 *       that make an entry appear or go as a whole, under per-key locks;
 *   <li>{@link DiskFills}: the write side of a fill (fill ids, pending mark, chunks,
 *       reservations, commit, abort);
 *   <li>{@link DiskPolicy}: admission and eviction decisions, pure, replayed by
 *       {@code load-tests}' simulator;
 *   <li>{@link DiskEvictor}: the recency order the policy decides over, eviction by its choices,
 *       and the background thread.
 * </ul>
 * The tier itself opens the database (moving a corrupt one aside), recounts what it holds,
 * keeps its counts and its failure state, and runs recovery attempts after write failures
 * (paced by {@link DiskRecovery}), reopening the database when RocksDB stays stopped.
 *
 * <p>A fill writes a pending mark, its chunks, then its metadata, tags and recency in one batch
 * that also clears the pending mark; after a crash, pending fills' chunks are deleted at start,
 * so a partial object is never visible. RocksDB never evicts by itself: the tier counts the
 * bytes of committed entries and of fills under way; a fill makes room before it starts and
 * before it commits, and the evictor keeps a tier found past its bound 1% under it.
 *
 * <p>Lock discipline: every operation runs between {@link DiskStore#enter} and
 * {@link DiskStore#exit} (the read side of the store's lock; a reopen or close takes its write
 * side) and does nothing once the tier is closing. The locks inside are taken in one order:
 * the store's read side, then the evictor's monitor, then a key's lock
 * ({@link DiskEntries#lockFor}); fill-id reservations ({@link DiskFills}' monitor) may be taken
 * under any of them and take nothing else. Counts are atomics and the failure deadline is
 * volatile, read without locks.
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
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final DiskEntries stored;
    private final DiskFills fills;
    /** Where the oldest live {@code lru} record is at the earliest: shared by the evictor's samples and the entries' writes. */
    private final RecencyFloor recencyFloor = new RecencyFloor();
    private final Counter corrupt;
    private final Counter errors;
    private volatile long failingUntil;

    private DiskTier(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry, DiskStore store) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.store = store;
        // the sketch's halving walks up to 32 MiB of counters: on a virtual thread of its own,
        // not on the I/O thread whose hit completed the sample
        this.policy = new DiskPolicy(maxBytes, r -> Thread.ofVirtual().name("sketch-halving").start(r));
        Counter evictions = Counter.builder("outpost.cache.evictions").tag("tier", "disk")
                .description("Entries evicted to keep a tier within its byte bound").register(registry);
        this.corrupt = Counter.builder("outpost.cache.corrupt")
                .description("Stored entries dropped because a checksum or decode failed").register(registry);
        this.errors = Counter.builder("outpost.cache.disk.errors")
                .description("Disk tier reads or writes that failed").register(registry);
        this.recovery = new DiskRecovery(dir, clock, registry);
        this.stored = new DiskEntries(this, store, usedBytes, entries, corrupt, evictions, recencyFloor);
        this.evictor = new DiskEvictor(this, store, policy, recencyFloor);
        this.fills = new DiskFills(this, store, stored, evictor, usedBytes);
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
        fills.restartIds();
        LOG.info("disk cache at {}: {} entries, {} bytes of {} allowed", dir, count, bytes, maxBytes);
    }

    /** A new fill id, unique across restarts. */
    long newFillId() throws RocksDBException {
        return fills.newFillId();
    }

    /** A new fill id inside {@link DiskStore#enter}: the sequence of a requeued recency record. */
    long newFillIdOpen() throws RocksDBException {
        return fills.newFillIdOpen();
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
        return stored.get(key);
    }

    /** Reads and verifies one chunk of a stored body; a damaged one drops the entry. */
    ByteBuffer readChunk(CachedResponse r, int index) throws CorruptEntryException {
        return stored.readChunk(r, index, true);
    }

    /** One chunk; {@code dropOnDamage} false for a fill reading back its own ({@link DiskEntries#readChunk}). */
    ByteBuffer readChunk(CachedResponse r, int index, boolean dropOnDamage) throws CorruptEntryException {
        return stored.readChunk(r, index, dropOnDamage);
    }

    /** Marks a fill as under way, so a crash before commit leaves nothing visible. */
    void beginFill(long fillId, String key, long reserve) throws RocksDBException {
        fills.beginFill(fillId, key, reserve, true);
    }

    /**
     * Reserves room for a fill whose body comes whole with its commit ({@link #commit(CachedResponse,
     * long, ByteBuffer)}): nothing is written before that one batch, so no pending mark is needed.
     */
    void beginWholeFill(long fillId, String key, long reserve) throws RocksDBException {
        fills.beginFill(fillId, key, reserve, false);
    }

    /** Writes one chunk starting at {@code offset} of its body ({@link DiskFills#writeChunk}). */
    void writeChunk(long fillId, int index, long offset, ByteBuffer data) throws RocksDBException {
        fills.writeChunk(fillId, index, offset, data);
    }

    /** Makes a fill visible; a previous entry under the same key is replaced. */
    void commit(CachedResponse r, long reserved) throws RocksDBException {
        fills.commit(r, reserved, null);
    }

    /** Makes a fill begun with {@link #beginWholeFill} visible, its body written as chunk 0 in the same batch. */
    void commit(CachedResponse r, long reserved, ByteBuffer body) throws RocksDBException {
        fills.commit(r, reserved, body);
    }

    /** Reserves room for a fill of unknown length as it grows, evicting on the caller's thread if needed. */
    boolean reserve(long bytes) {
        return fills.reserve(bytes);
    }

    /** Gives back bytes reserved for a fill that will not be stored here. */
    void release(long reserved) {
        fills.release(reserved);
    }

    /** Abandons a fill: its chunks go, its reservation is released. */
    void abort(long fillId, long reserved) {
        fills.abort(fillId, reserved);
    }

    /** Rewrites an entry's metadata (after a 304, or a soft purge); the body stays. */
    void update(CachedResponse r) {
        stored.update(r);
    }

    /** Moves an entry to the current recency bucket if it is in an older one. */
    void touch(CachedResponse r) {
        stored.touch(r);
    }

    /** Deletes the entry under {@code key} if it is the one fill {@code fillId} stored. */
    void deleteIfFill(String key, long fillId) {
        stored.deleteIfFill(key, fillId);
    }

    /** Deletes the entry under {@code key}, if any. */
    boolean delete(String key) {
        return stored.delete(key);
    }

    /** Removes the victim the evictor chose; false when there was no readable entry to remove. */
    boolean evictEntry(String key) {
        return stored.evictEntry(key);
    }

    /** Calls {@code action} with every stored key starting with {@code prefix} (empty: all). */
    void forEachKey(String prefix, Consumer<String> action) {
        stored.forEachKey(prefix, action);
    }

    /** Every stored key tagged {@code tag}. */
    List<String> keysWithTag(String tag) {
        return stored.keysWithTag(tag);
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
            recencyFloor.reset(); // reopened: the next sample starts from the first key
            recover();
            fills.reopened();
        });
        if (problem == null) {
            LOG.info("disk tier reopened after write failures: {} entries, {} bytes", entries.get(), usedBytes.get());
        }
        return problem;
    }

    /** Sets who is told of the entries eviction removes. */
    void onEviction(ObjLongConsumer<String> listener) {
        stored.onEviction(listener);
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

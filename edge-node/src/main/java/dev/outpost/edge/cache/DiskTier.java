package dev.outpost.edge.cache;

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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.ObjLongConsumer;
import java.util.zip.CRC32C;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier: responses in RocksDB, bounded in bytes with its own eviction.
 *
 * <p>Layout, one column family each: {@code meta} (key → {@link CachedResponse}, checksummed),
 * {@code chunks} (fill id + chunk index → CRC32C + bytes, in blob files), {@code lru} (access
 * bucket + sequence → key: an approximate LRU order; the sequence is the fill id, or a new one
 * for an entry given a second chance), {@code atime} (key → its lru record),
 * {@code tags} (tag NUL key → nothing, for purges by surrogate key) and {@code pending} (fills
 * under way). A fill writes its chunks first and its metadata last, in one batch that also
 * clears its pending mark; after a crash, pending fills' chunks are deleted at start, so a
 * partial object is never visible.
 *
 * <p>RocksDB never evicts by itself. The tier counts the bytes of committed entries and of
 * fills under way; a fill makes room before it starts and before it commits, and an evictor
 * thread keeps the tier 1% under its bound. Which entry goes and which newcomer is admitted is
 * {@link DiskPolicy}'s decision (sampled LFU over the 16 oldest entries in {@code lru}, a second
 * chance for the sampled entries asked for more often than the victim, TinyLFU admission); this
 * class only keeps the order it decides over. Access buckets are minutes, and a hit moves an
 * entry at most once a minute, so recency costs one small write per object per minute at most;
 * an {@code lru} record is current only while {@code atime} names it, so a record left behind by
 * a race is dropped when eviction meets it.
 */
public final class DiskTier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);
    private static final byte[] FILL_SEQ = "fill-seq".getBytes(StandardCharsets.UTF_8);
    private static final long BUCKET_MS = 60_000;
    /**
     * Past its bound, the tier is evicted down to this fraction of it (1% headroom), so that
     * one eviction pass makes room for a few more fills rather than one.
     */
    static final double EVICTION_TARGET = 0.99;
    /** Chunks that start at this offset of a body or later are written without the WAL (see {@link #unloggedWrites}). */
    static final long LOGGED_BYTES = 8L * 1024 * 1024;

    private final Path dir;
    private final long maxBytes;
    private final InstantSource clock;
    // replaced by a reopen (under the write side of life); read under its read side
    private RocksDB db;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final LRUCache blockCache;
    private ColumnFamilyHandle defaultCf;
    private ColumnFamilyHandle meta;
    private ColumnFamilyHandle chunks;
    private ColumnFamilyHandle lru;
    /** Where the oldest live {@code lru} record is at the earliest, so samples seek past the queue's tombstones. */
    private final RecencyFloor recencyFloor = new RecencyFloor();
    private ColumnFamilyHandle atime;
    private ColumnFamilyHandle tags;
    private ColumnFamilyHandle pending;
    private List<ColumnFamilyHandle> handles;
    private final List<ColumnFamilyDescriptor> descriptors;
    /** The database is open (false after a reopen that failed: the tier is off until one works). */
    private volatile boolean dbOpen = true;
    private final DiskRecovery recovery;
    /** Fills with a smaller id began before the last reopen: their pending marks are gone. */
    private volatile long fillFloor;
    private final WriteOptions writeOptions = new WriteOptions();
    /**
     * Chunks past {@link #LOGGED_BYTES} of a body skip the write-ahead log. The portable native
     * build checksums WAL records with a table-driven CRC: 62% of the CPU of the thread storing
     * a large fill went there, and each chunk was written three times (WAL, memtable, blob
     * file). Such a fill's chunks are flushed to their blob files before its metadata commits,
     * so a committed entry never names a chunk a crash could lose; a fill that had not committed
     * is dropped at start by its pending mark, as before.
     */
    private final WriteOptions unloggedWrites = new WriteOptions().setDisableWAL(true);
    private final ReadOptions readOptions = new ReadOptions().setVerifyChecksums(true);
    /**
     * Chunk reads leave checksums to Outpost: every chunk carries its own CRC32C (hardware
     * accelerated in the JVM), checked on each read, which also catches a damaged blob
     * reference. RocksDB's own verification of a blob record runs a table-driven CRC in the
     * portable native build: a fifth of the CPU of a large-object transfer (perf).
     */
    private final ReadOptions chunkReadOptions = new ReadOptions().setVerifyChecksums(false);
    private final AtomicLong usedBytes = new AtomicLong();
    /** Told of each entry eviction removes (key, fill id), so the memory tier drops its copy too. */
    private volatile ObjLongConsumer<String> evictionListener = (key, fillId) -> { };
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong nextFillId = new AtomicLong();
    private volatile long fillIdCeiling;
    private final DiskPolicy policy;
    private final Counter evictions;
    private final Counter corrupt;
    private final Counter errors;
    private final Thread evictor;
    private volatile boolean closed;
    private final java.util.concurrent.locks.ReentrantReadWriteLock life = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private volatile long failingUntil;
    private final java.util.concurrent.locks.ReentrantLock[] keyLocks = new java.util.concurrent.locks.ReentrantLock[64];

    private DiskTier(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry, RocksDB db, DBOptions dbOptions,
                     List<ColumnFamilyOptions> cfOptions, List<ColumnFamilyDescriptor> descriptors, LRUCache blockCache,
                     List<ColumnFamilyHandle> handles) {
        this.descriptors = List.copyOf(descriptors);
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions.addAll(cfOptions);
        this.blockCache = blockCache;
        useHandles(handles);
        this.policy = new DiskPolicy(maxBytes);
        this.evictions = Counter.builder("outpost.cache.evictions").tag("tier", "disk")
                .description("Entries evicted to keep a tier within its byte bound").register(registry);
        this.corrupt = Counter.builder("outpost.cache.corrupt")
                .description("Stored entries dropped because a checksum or decode failed").register(registry);
        this.errors = Counter.builder("outpost.cache.disk.errors")
                .description("Disk tier reads or writes that failed").register(registry);
        this.recovery = new DiskRecovery(dir, clock, registry);
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new java.util.concurrent.locks.ReentrantLock();
        }
        this.evictor = Thread.ofPlatform().name("disk-evictor").daemon().unstarted(this::evictLoop);
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
            if (!isCorruption(e)) {
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

    /**
     * Whether RocksDB says its own files are damaged: a corruption status, or a file it names
     * (the MANIFEST in CURRENT, a table or blob file) missing. Lock, permission and space
     * errors are I/O errors of another kind and say nothing of the files.
     */
    static boolean isCorruption(RocksDBException e) {
        Status st = e.getStatus();
        if (st == null) {
            return false;
        }
        if (st.getCode() == Status.Code.Corruption) {
            return true;
        }
        String msg = String.valueOf(e.getMessage());
        return st.getCode() == Status.Code.IOError && msg.contains("No such file or directory") && !msg.contains("lock");
    }

    private static DiskTier openOnce(Path dir, long maxBytes, InstantSource clock, MeterRegistry registry)
            throws RocksDBException {
        LRUCache blockCache = new LRUCache(64L * 1024 * 1024);
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2)
                .setKeepLogFileNum(3)
                .setMaxTotalWalSize(256L * 1024 * 1024)
                .setMaxBgErrorResumeCount(Integer.MAX_VALUE)
                .setBgerrorResumeRetryInterval(1_000_000);
        List<ColumnFamilyOptions> opts = new ArrayList<>();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        String[] names = {"default", "meta", "chunks", "lru", "atime", "tags", "pending"};
        for (String name : names) {
            ColumnFamilyOptions o = new ColumnFamilyOptions()
                    .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
            if (name.equals("chunks")) {
                o.setEnableBlobFiles(true)
                        .setMinBlobSize(4096)
                        .setBlobFileSize(256L * 1024 * 1024)
                        .setEnableBlobGarbageCollection(true)
                        .setBlobGarbageCollectionAgeCutoff(0.5)
                        .setWriteBufferSize(64L * 1024 * 1024)
                        .setCompressionType(CompressionType.NO_COMPRESSION);
            } else {
                o.setCompressionType(CompressionType.LZ4_COMPRESSION);
            }
            opts.add(o);
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), o));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        DiskTier tier = new DiskTier(dir, maxBytes, clock, registry, db, dbOptions, opts, descriptors, blockCache, handles);
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

    /** Deletes chunks of fills that never committed, counts what is stored, reserves fill ids. */
    private void recover() throws RocksDBException {
        int dropped = 0;
        try (RocksIterator it = db.newIterator(pending)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long fillId = ByteBuffer.wrap(it.key()).getLong();
                db.deleteRange(chunks, chunkKey(fillId, 0), chunkKey(fillId + 1, 0));
                db.delete(pending, it.key());
                dropped++;
            }
            it.status();
        }
        if (dropped > 0) {
            LOG.warn("dropped {} partial fills left by an interrupted run", dropped);
        }
        long bytes = 0;
        long count = 0;
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                try {
                    CachedResponse r = MetaCodec.decode(it.value());
                    bytes += r.weight();
                    count++;
                } catch (CorruptEntryException e) {
                    corrupt.increment();
                    db.delete(meta, it.key());
                }
            }
            it.status(); // an unreadable table block ends the scan early: the database is damaged
        }
        usedBytes.set(bytes);
        entries.set(count);
        byte[] seq = db.get(defaultCf, FILL_SEQ);
        long start = seq == null ? 1 : ByteBuffer.wrap(seq).getLong();
        nextFillId.set(start);
        reserveFillIds(start);
        LOG.info("disk cache at {}: {} entries, {} bytes of {} allowed", dir, count, bytes, maxBytes);
    }

    private synchronized void reserveFillIds(long from) throws RocksDBException {
        fillIdCeiling = from + 100_000;
        db.put(defaultCf, writeOptions, FILL_SEQ, ByteBuffer.allocate(8).putLong(fillIdCeiling).array());
    }

    /**
     * Enters a database operation; false once the tier is closing. Operations hold the read
     * side of {@link #life}, {@link #close} its write side, so the database is never closed
     * under an operation nor used after it is closed.
     */
    private boolean enter() {
        if (!life.readLock().tryLock()) {
            return false;
        }
        if (closed || !dbOpen) {
            life.readLock().unlock();
            return false;
        }
        return true;
    }

    private void useHandles(List<ColumnFamilyHandle> list) {
        this.handles = list;
        this.defaultCf = list.get(0);
        this.meta = list.get(1);
        this.chunks = list.get(2);
        this.lru = list.get(3);
        this.atime = list.get(4);
        this.tags = list.get(5);
        this.pending = list.get(6);
        recencyFloor.reset(); // opened or reopened: the next sample starts from the first key
    }

    private void exit() {
        life.readLock().unlock();
    }

    private static RocksDBException closedException() {
        return new RocksDBException("disk tier closed");
    }

    /** A new fill id, unique across restarts. */
    long newFillId() throws RocksDBException {
        if (!enter()) {
            throw closedException();
        }
        try {
            return newFillIdOpen();
        } finally {
            exit();
        }
    }

    private long newFillIdOpen() throws RocksDBException {
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

    /** Whether the tier takes a new object of about {@code size} bytes now. */
    boolean admit(String key, long size) {
        if (!enter()) {
            return false;
        }
        try {
            return admitOpen(key, size);
        } finally {
            exit();
        }
    }

    private boolean admitOpen(String key, long size) {
        if (isFailing() || size > maxBytes / 4) {
            return false;
        }
        long count = entries.get();
        long expected = size > 0 ? size : count == 0 ? 0 : usedBytes.get() / count; // unknown length: a typical entry
        if (usedBytes.get() + expected <= maxBytes) {
            return true;
        }
        Sample sample = oldest();
        DiskPolicy.Choice choice = policy.choose(sample.keys());
        // a newcomer takes the place of the least popular old entry unless that one is asked for
        // more often: one-hit wonders don't push out popular objects, and recency still counts
        return choice == null || policy.admits(key, choice.victimFrequency());
    }

    /** The oldest entries of the recency order: their {@code lru} records and keys. */
    private record Sample(List<byte[]> lruKeys, List<String> keys) {
    }

    private Sample oldest() {
        List<byte[]> lruKeys = new ArrayList<>(DiskPolicy.SAMPLE);
        List<String> keys = new ArrayList<>(DiskPolicy.SAMPLE);
        RecencyFloor.Start start = recencyFloor.begin();
        try (RocksIterator it = db.newIterator(lru)) {
            if (start.seek() == null) {
                it.seekToFirst();
            } else {
                it.seek(start.seek());
            }
            for (int i = 0; i < DiskPolicy.SAMPLE && it.isValid(); i++, it.next()) {
                lruKeys.add(it.key());
                keys.add(new String(it.value(), StandardCharsets.UTF_8));
            }
        }
        if (!lruKeys.isEmpty()) {
            recencyFloor.advance(start, lruKeys.get(0));
        }
        return new Sample(lruKeys, keys);
    }

    /** The stored response under {@code key}, or null. */
    CachedResponse get(String key) throws CorruptEntryException {
        if (!enter()) {
            return null;
        }
        try {
            return getOpen(key);
        } finally {
            exit();
        }
    }

    private CachedResponse getOpen(String key) throws CorruptEntryException {
        byte[] value;
        try {
            value = db.get(meta, readOptions, key.getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            if (isCorruption(e)) {
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
        if (!enter()) {
            throw new CorruptEntryException("disk tier closed");
        }
        try {
            return readChunkOpen(r, index, dropOnDamage);
        } finally {
            exit();
        }
    }

    private ByteBuffer readChunkOpen(CachedResponse r, int index, boolean dropOnDamage) throws CorruptEntryException {
        byte[] value;
        try {
            value = db.get(chunks, chunkReadOptions, chunkKey(r.fillId(), index));
        } catch (RocksDBException e) {
            CorruptEntryException c = new CorruptEntryException("chunk " + index + " unreadable: " + e.getMessage());
            if (!dropOnDamage) {
                throw c;
            }
            if (isCorruption(e)) {
                // a damaged table or blob file: the entry goes, as for a checksum mismatch; a
                // read error of the device pauses writes instead
                dropCorrupt(r.key(), c);
            } else {
                failed(e);
            }
            throw c;
        }
        long expected = Math.min(r.chunkSize(), r.bodyLength() - (long) index * r.chunkSize());
        if (value == null || value.length != expected + 4) {
            CorruptEntryException e = new CorruptEntryException("chunk " + index + " missing or truncated");
            // a chunk that is gone because its entry was just replaced or purged (the reader had
            // its metadata from before) is no damage: nothing to count, nothing to drop
            if (dropOnDamage && (value != null || stillStored(r))) {
                dropCorrupt(r.key(), e);
            }
            throw e;
        }
        CRC32C crc = new CRC32C();
        crc.update(value, 4, value.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(value, 0, 4).getInt()) {
            CorruptEntryException e = new CorruptEntryException("chunk " + index + " checksum mismatch");
            if (dropOnDamage) {
                dropCorrupt(r.key(), e);
            } else {
                corrupt.increment();
            }
            throw e;
        }
        return ByteBuffer.wrap(value, 4, value.length - 4).slice();
    }

    /** Whether {@code r} is still the entry stored under its key (not replaced, not removed). */
    private boolean stillStored(CachedResponse r) {
        try {
            byte[] v = db.get(meta, readOptions, r.key().getBytes(StandardCharsets.UTF_8));
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
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        var lock = lockFor(key);
        lock.lock();
        try {
            byte[] at = db.get(atime, k);
            try (WriteBatch batch = new WriteBatch()) {
                batch.delete(meta, k);
                if (at != null) {
                    batch.delete(lru, at);
                }
                batch.delete(atime, k);
                db.write(writeOptions, batch);
            }
        } catch (RocksDBException again) {
            failed(again);
        } finally {
            lock.unlock();
        }
    }

    /** Marks a fill as under way, so a crash before commit leaves nothing visible. */
    void beginFill(long fillId, String key, long reserve) throws RocksDBException {
        if (!enter()) {
            throw closedException();
        }
        try {
            beginFillOpen(fillId, key, reserve);
        } finally {
            exit();
        }
    }

    private void beginFillOpen(long fillId, String key, long reserve) throws RocksDBException {
        makeRoom(reserve);
        try {
            db.put(pending, writeOptions, longKey(fillId), key.getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            failed(e); // the first write of a fill: a disk that refuses writes shows here first
            throw e;
        }
        usedBytes.addAndGet(reserve);
        wakeEvictor();
    }

    /** Evicts now, on the caller's thread, so that {@code bytes} more fit within the bound. */
    private void makeRoom(long bytes) {
        if (bytes > 0 && usedBytes.get() + bytes > maxBytes) {
            evictTo(Math.max(0, maxBytes - bytes));
        }
    }

    /** Writes one chunk (its checksum is computed here). */
    /**
     * Writes one chunk of a fill; {@code offset} is where it starts in the body: from
     * {@link #LOGGED_BYTES} on it skips the WAL and its fill's commit flushes it.
     */
    void writeChunk(long fillId, int index, long offset, ByteBuffer data) throws RocksDBException {
        if (!enter()) {
            throw closedException();
        }
        try {
            writeChunkOpen(fillId, index, offset >= LOGGED_BYTES ? unloggedWrites : writeOptions, data);
        } finally {
            exit();
        }
    }

    private void writeChunkOpen(long fillId, int index, WriteOptions options, ByteBuffer data) throws RocksDBException {
        if (staleFill(fillId)) {
            throw new RocksDBException("disk tier reopened during the fill");
        }
        byte[] value = new byte[data.remaining() + 4];
        data.duplicate().get(value, 4, data.remaining());
        CRC32C crc = new CRC32C();
        crc.update(value, 4, value.length - 4);
        ByteBuffer.wrap(value, 0, 4).putInt((int) crc.getValue());
        try {
            db.put(chunks, options, chunkKey(fillId, index), value);
        } catch (RocksDBException e) {
            failed(e);
            throw e;
        }
    }

    /**
     * Makes a fill visible: metadata, tags and recency in one batch with the removal of its
     * pending mark. A previous entry under the same key is replaced and its chunks deleted.
     */
    void commit(CachedResponse r, long reserved) throws RocksDBException {
        if (!enter()) {
            throw closedException();
        }
        try {
            commitOpen(r, reserved);
        } finally {
            exit();
        }
    }

    private void commitOpen(CachedResponse r, long reserved) throws RocksDBException {
        if (staleFill(r.fillId()) && r.bodyLength() > 0) {
            throw new RocksDBException("disk tier reopened during the fill");
        }
        if (r.bodyLength() > LOGGED_BYTES) {
            flushChunks(); // its chunks past LOGGED_BYTES skipped the WAL: on disk before it is named
        }
        makeRoom(r.weight() - reserved);
        var lock = lockFor(r.key());
        lock.lock();
        try {
            commitLocked(r, reserved);
        } finally {
            lock.unlock();
        }
    }

    private java.util.concurrent.locks.ReentrantLock lockFor(String key) {
        return keyLocks[(key.hashCode() & 0x7fffffff) % keyLocks.length];
    }

    private void commitLocked(CachedResponse r, long reserved) throws RocksDBException {
        byte[] key = r.key().getBytes(StandardCharsets.UTF_8);
        CachedResponse previous = null;
        try {
            previous = get(r.key());
        } catch (CorruptEntryException ignored) {
            // already dropped
        }
        long bucket = bucket();
        try (WriteBatch batch = new WriteBatch()) {
            if (previous != null) {
                removeInBatch(batch, previous, key);
            }
            batch.put(meta, key, MetaCodec.encode(r));
            for (String tag : r.tags()) {
                batch.put(tags, tagKey(tag, r.key()), new byte[0]);
            }
            byte[] lruKey = lruKey(bucket, r.fillId());
            batch.put(lru, lruKey, key);
            batch.put(atime, key, lruKey);
            batch.delete(pending, longKey(r.fillId()));
            db.write(writeOptions, batch);
            recencyFloor.lower(lruKey);
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
        wakeEvictor();
    }

    /** Reserves room for a fill of unknown length as it grows, evicting on the caller's thread if needed. */
    boolean reserve(long bytes) {
        if (!enter()) {
            return false;
        }
        try {
            makeRoom(bytes);
            usedBytes.addAndGet(bytes);
            wakeEvictor();
            return true;
        } finally {
            exit();
        }
    }

    /** Gives back bytes reserved for a fill that will not be stored here. */
    void release(long reserved) {
        usedBytes.addAndGet(-reserved);
    }

    /** Abandons a fill: its chunks go, its reservation is released. */
    void abort(long fillId, long reserved) {
        if (!enter()) {
            return;
        }
        try {
            abortOpen(fillId, reserved);
        } finally {
            exit();
        }
    }

    private void abortOpen(long fillId, long reserved) {
        if (!staleFill(fillId)) {
            usedBytes.addAndGet(-reserved); // a reopen recounted without the reservations of fills under way
        }
        try {
            db.deleteRange(chunks, chunkKey(fillId, 0), chunkKey(fillId + 1, 0));
            db.delete(pending, longKey(fillId));
        } catch (RocksDBException e) {
            failed(e);
        }
    }

    /** Rewrites an entry's metadata (after a 304, or a soft purge); the body stays. */
    void update(CachedResponse r) {
        if (!enter()) {
            return;
        }
        try {
            updateOpen(r);
        } finally {
            exit();
        }
    }

    private void updateOpen(CachedResponse r) {
        var lock = lockFor(r.key());
        lock.lock();
        try {
            CachedResponse current = get(r.key());
            if (current == null || current.fillId() != r.fillId()) {
                return; // replaced or removed meanwhile
            }
            db.put(meta, writeOptions, r.key().getBytes(StandardCharsets.UTF_8), MetaCodec.encode(r));
        } catch (RocksDBException e) {
            failed(e);
        } catch (CorruptEntryException ignored) {
            // dropped
        } finally {
            lock.unlock();
        }
    }

    /** Moves an entry to the current recency bucket if it is in an older one. */
    void touch(CachedResponse r) {
        if (!enter()) {
            return;
        }
        try {
            touchOpen(r);
        } finally {
            exit();
        }
    }

    private void touchOpen(CachedResponse r) {
        if (isFailing()) {
            return;
        }
        byte[] key = r.key().getBytes(StandardCharsets.UTF_8);
        long bucket = bucket();
        try {
            byte[] current = db.get(atime, key);
            if (current != null && ByteBuffer.wrap(current).getLong() == bucket) {
                return;
            }
            byte[] lruKey = lruKey(bucket, r.fillId());
            try (WriteBatch batch = new WriteBatch()) {
                if (current != null) {
                    batch.delete(lru, current);
                }
                batch.put(lru, lruKey, key);
                batch.put(atime, key, lruKey);
                db.write(writeOptions, batch);
                recencyFloor.lower(lruKey);
            }
        } catch (RocksDBException e) {
            failed(e);
        }
    }

    /** Deletes the entry under {@code key} if it is the one fill {@code fillId} stored. */
    void deleteIfFill(String key, long fillId) {
        if (!enter()) {
            return;
        }
        var lock = lockFor(key);
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
            exit();
        }
    }

    /** Deletes the entry under {@code key}, if any. */
    boolean delete(String key) {
        if (!enter()) {
            return false;
        }
        try {
            return deleteOpen(key);
        } finally {
            exit();
        }
    }

    private boolean deleteOpen(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        var lock = lockFor(key);
        lock.lock();
        try {
            byte[] value = db.get(meta, k);
            if (value == null) {
                return false;
            }
            CachedResponse r;
            try {
                r = MetaCodec.decode(value);
            } catch (CorruptEntryException e) {
                db.delete(meta, k);
                byte[] at = db.get(atime, k);
                if (at != null) {
                    db.delete(lru, at);
                    db.delete(atime, k);
                }
                return true;
            }
            try (WriteBatch batch = new WriteBatch()) {
                removeInBatch(batch, r, k);
                db.write(writeOptions, batch);
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

    private void removeInBatch(WriteBatch batch, CachedResponse r, byte[] key) throws RocksDBException {
        batch.delete(meta, key);
        for (String tag : r.tags()) {
            batch.delete(tags, tagKey(tag, r.key()));
        }
        byte[] at = db.get(atime, key);
        if (at != null) {
            batch.delete(lru, at);
        }
        batch.delete(atime, key);
    }

    private void deleteChunks(long fillId) throws RocksDBException {
        db.deleteRange(chunks, chunkKey(fillId, 0), chunkKey(fillId + 1, 0));
    }

    /** Calls {@code action} with every stored key starting with {@code prefix} (empty: all). */
    void forEachKey(String prefix, Consumer<String> action) {
        if (!enter()) {
            return;
        }
        try {
            forEachKeyOpen(prefix, action);
        } finally {
            exit();
        }
    }

    private void forEachKeyOpen(String prefix, Consumer<String> action) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
                action.accept(new String(it.key(), StandardCharsets.UTF_8));
            }
        }
    }

    /** Every stored key tagged {@code tag}. */
    List<String> keysWithTag(String tag) {
        if (!enter()) {
            return List.of();
        }
        try {
            return keysWithTagOpen(tag);
        } finally {
            exit();
        }
    }

    private List<String> keysWithTagOpen(String tag) {
        List<String> out = new ArrayList<>();
        byte[] p = tagKey(tag, "");
        try (RocksIterator it = db.newIterator(tags)) {
            for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
                out.add(new String(it.key(), p.length, it.key().length - p.length, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** A persisted number under {@code name} in the tier's own state (0 when unset). */
    long marker(String name) {
        if (!enter()) {
            return 0;
        }
        try {
            return markerOpen(name);
        } finally {
            exit();
        }
    }

    private long markerOpen(String name) {
        try {
            byte[] v = db.get(defaultCf, ("marker:" + name).getBytes(StandardCharsets.UTF_8));
            return v == null ? 0 : ByteBuffer.wrap(v).getLong();
        } catch (RocksDBException e) {
            failed(e);
            return 0;
        }
    }

    void setMarker(String name, long value) {
        if (!enter()) {
            return;
        }
        try {
            setMarkerOpen(name, value);
        } finally {
            exit();
        }
    }

    private void setMarkerOpen(String name, long value) {
        try {
            db.put(defaultCf, writeOptions, ("marker:" + name).getBytes(StandardCharsets.UTF_8),
                    ByteBuffer.allocate(8).putLong(value).array());
        } catch (RocksDBException e) {
            failed(e);
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
        return (long) (maxBytes * EVICTION_TARGET);
    }

    /** Whether writes are being skipped after a failure (disk full, I/O error). */
    boolean isFailing() {
        return recovery.failing() || failingUntil > clock.millis();
    }

    /** {@code ok}, {@code failing} (writes skipped, recovery retried with backoff) or {@code off} (closed). */
    String state() {
        if (closed) {
            return "off";
        }
        return isFailing() || !dbOpen ? "failing" : "ok";
    }

    /** What /healthz shows of the tier: its state, the last error, recoveries so far. */
    java.util.Map<String, Object> health() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("state", state());
        recovery.describe(m);
        return m;
    }

    private void failed(RocksDBException e) {
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
     * One recovery attempt when one is due: the filesystem must take a real write first (a
     * probe file), then RocksDB must take one; if RocksDB still refuses (it stays stopped after
     * a non-retryable error), the database is closed and opened again, its contents recounted.
     */
    private void recoverIfDue() {
        if (!recovery.due()) {
            return;
        }
        String problem = recovery.probeFilesystem();
        if (problem == null) {
            problem = dbOpen ? probeDatabase() : "database closed";
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
        if (!enter()) {
            return "closed";
        }
        try {
            db.put(defaultCf, writeOptions, "write-probe".getBytes(StandardCharsets.UTF_8),
                    ByteBuffer.allocate(8).putLong(clock.millis()).array());
            return null;
        } catch (RocksDBException e) {
            return e.getMessage();
        } finally {
            exit();
        }
    }

    /** Closes and opens the database again, under the write side of {@link #life}; null when it worked. */
    private String reopen() {
        life.writeLock().lock();
        try {
            if (closed) {
                return "closed";
            }
            if (dbOpen) {
                dbOpen = false;
                handles.forEach(ColumnFamilyHandle::close);
                db.close();
            }
            List<ColumnFamilyHandle> list = new ArrayList<>();
            RocksDB reopened;
            try {
                reopened = RocksDB.open(dbOptions, dir.toString(), descriptors, list);
            } catch (RocksDBException e) {
                return "reopen failed: " + e.getMessage();
            }
            db = reopened;
            useHandles(list);
            try {
                recover();
            } catch (RocksDBException e) {
                list.forEach(ColumnFamilyHandle::close);
                reopened.close();
                return "recount after reopen failed: " + e.getMessage();
            }
            fillFloor = nextFillId.get();
            dbOpen = true;
            LOG.info("disk tier reopened after write failures: {} entries, {} bytes", entries.get(), usedBytes.get());
            return null;
        } finally {
            life.writeLock().unlock();
        }
    }

    /** A fill that began before the last reopen: its pending mark and reservation are gone. */
    private boolean staleFill(long fillId) {
        return fillId < fillFloor;
    }

    private void wakeEvictor() {
        if (usedBytes.get() > maxBytes) {
            LockSupport.unpark(evictor);
        }
    }

    private void evictLoop() {
        while (!closed) {
            try {
                recoverIfDue();
            } catch (RuntimeException e) {
                LOG.warn("disk tier recovery attempt failed: {}", e.toString());
            }
            if (usedBytes.get() > maxBytes) {
                try {
                    evictTo(evictionTarget());
                } catch (RuntimeException e) {
                    LOG.warn("eviction failed: {}", e.toString());
                }
            }
            LockSupport.parkNanos(100_000_000L);
        }
    }

    /** Evicts the least recently used entries until at most {@code target} bytes are used. */
    synchronized void evictTo(long target) {
        if (!enter()) {
            return;
        }
        try {
            evictToOpen(target);
        } finally {
            exit();
        }
    }

    private synchronized void evictToOpen(long target) {
        while (usedBytes.get() > target && !closed) {
            Sample sample = oldest();
            DiskPolicy.Choice choice = policy.choose(sample.keys());
            if (choice == null) {
                return;
            }
            try {
                requeue(sample, choice.requeue());
                String key = sample.keys().get(choice.victim());
                byte[] lruKey = sample.lruKeys().get(choice.victim());
                if (isCurrent(key, lruKey)) {
                    CachedResponse r = null;
                    try {
                        r = get(key);
                    } catch (CorruptEntryException ignored) {
                        // dropped by get
                    }
                    if (r != null && delete(key)) {
                        evictions.increment();
                        evictionListener.accept(key, r.fillId());
                    } else {
                        db.delete(lru, lruKey);
                    }
                } else {
                    db.delete(lru, lruKey); // a stale recency record
                }
            } catch (RocksDBException e) {
                failed(e);
                return;
            }
        }
    }

    /** Whether {@code lruKey} is the recency record {@code key} has now (not one left behind). */
    private boolean isCurrent(String key, byte[] lruKey) throws RocksDBException {
        return Arrays.equals(db.get(atime, key.getBytes(StandardCharsets.UTF_8)), lruKey);
    }

    /**
     * Moves the sampled entries the policy gave a second chance to the young end of the order:
     * a new record in the current bucket, after every fill so far.
     */
    private void requeue(Sample sample, List<Integer> indexes) throws RocksDBException {
        if (indexes.isEmpty()) {
            return;
        }
        long bucket = bucket();
        List<byte[]> written = new ArrayList<>(indexes.size());
        try (WriteBatch batch = new WriteBatch()) {
            for (int i : indexes) {
                String key = sample.keys().get(i);
                byte[] current = sample.lruKeys().get(i);
                if (!isCurrent(key, current)) {
                    batch.delete(lru, current);
                    continue;
                }
                byte[] moved = lruKey(bucket, newFillIdOpen());
                byte[] k = key.getBytes(StandardCharsets.UTF_8);
                batch.delete(lru, current);
                batch.put(lru, moved, k);
                batch.put(atime, k, moved);
                written.add(moved);
            }
            db.write(writeOptions, batch);
        }
        for (byte[] moved : written) {
            recencyFloor.lower(moved);
        }
    }

    /** Sets who is told of the entries eviction removes. */
    void onEviction(ObjLongConsumer<String> listener) {
        this.evictionListener = listener;
    }

    /** Writes the chunks held in memory to their blob files and waits until they are there. */
    private void flushChunks() throws RocksDBException {
        try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            db.flush(f, chunks);
        } catch (RocksDBException e) {
            failed(e);
            throw e;
        }
    }

    /** Flushes memtables so a restart reads from table files, not only the WAL. */
    void flush() {
        try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            db.flush(f, handles);
        } catch (RocksDBException e) {
            LOG.warn("flush failed: {}", e.getMessage());
        }
    }

    private long bucket() {
        return clock.millis() / BUCKET_MS;
    }

    static byte[] chunkKey(long fillId, int index) {
        return ByteBuffer.allocate(12).putLong(fillId).putInt(index).array();
    }

    private static byte[] longKey(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static byte[] lruKey(long bucket, long fillId) {
        return ByteBuffer.allocate(16).putLong(bucket).putLong(fillId).array();
    }

    private static byte[] tagKey(String tag, String key) {
        return (tag + "\u0000" + key).getBytes(StandardCharsets.UTF_8);
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        LockSupport.unpark(evictor);
        life.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            life.writeLock().unlock();
        }
        try {
            evictor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (dbOpen) {
            flush();
            handles.forEach(ColumnFamilyHandle::close);
            db.close();
        }
        dbOptions.close();
        cfOptions.forEach(ColumnFamilyOptions::close);
        blockCache.close();
        writeOptions.close();
        unloggedWrites.close();
        readOptions.close();
        chunkReadOptions.close();
    }
}

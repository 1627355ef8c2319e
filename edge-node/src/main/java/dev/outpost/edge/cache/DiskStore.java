package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
 * The disk tier's RocksDB database: its options, its column families ({@link DiskLayout.Family}),
 * reads, writes and batches by family, and its life (open, reopen after write failures, flush,
 * close). It knows nothing of entries, accounting or policy; {@link DiskTier} and
 * {@link DiskEvictor} say what to read and write, {@link DiskLayout} how it is encoded.
 *
 * <p>Lock discipline: the database handle and its column family handles are replaced by
 * {@link #reopen} and released by {@link #close}, both under the write side of {@code life}.
 * Every other use happens between {@link #enter} (a {@code tryLock} of the read side, false once
 * closing or while the database is shut after a failed reopen) and {@link #exit}, or under the
 * write side from inside {@link #reopen}'s recount; so the database is never closed under an
 * operation nor used after it is closed. Error Prone cannot follow a lock taken in one method and
 * released in another, so the handles carry no {@code @GuardedBy}: the rule above is theirs.
 *
 * <p>Logs under {@link DiskTier}'s name, the one operators and tests filter the tier's lines on.
 */
final class DiskStore {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);

    private final Path dir;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions;
    private final List<ColumnFamilyDescriptor> descriptors;
    private final LRUCache blockCache;
    private final WriteOptions writeOptions = new WriteOptions();
    /** Writes that skip the write-ahead log: chunks past {@link DiskFills#LOGGED_BYTES} of a body. */
    private final WriteOptions unloggedWrites = new WriteOptions().setDisableWAL(true);
    private final ReadOptions readOptions = new ReadOptions().setVerifyChecksums(true);
    /**
     * Chunk reads leave checksums to Outpost: every chunk carries its own CRC32C (hardware
     * accelerated in the JVM), checked on each read, which also catches a damaged blob
     * reference. RocksDB's own verification of a blob record runs a table-driven CRC in the
     * portable native build: a fifth of the CPU of a large-object transfer (perf).
     */
    private final ReadOptions chunkReadOptions = new ReadOptions().setVerifyChecksums(false);
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    // replaced by a reopen (under the write side of life); read under its read side
    private RocksDB db;
    private List<ColumnFamilyHandle> handles;
    /** The database is open (false after a reopen that failed: the tier is off until one works). */
    private volatile boolean dbOpen = true;
    /** Set once, under the write side of {@code life}: no operation enters after it. */
    private volatile boolean closed;

    private DiskStore(Path dir, DBOptions dbOptions, List<ColumnFamilyOptions> cfOptions,
                      List<ColumnFamilyDescriptor> descriptors, LRUCache blockCache, RocksDB db,
                      List<ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.dbOptions = dbOptions;
        this.cfOptions = List.copyOf(cfOptions);
        this.descriptors = List.copyOf(descriptors);
        this.blockCache = blockCache;
        this.db = db;
        this.handles = handles;
    }

    /**
     * Opens (or creates) the database in {@code dir}: a shared 64 MiB block cache, LZ4 for small
     * values, and for {@code chunks} blob files without compression, with blob garbage
     * collection. Background errors that RocksDB can resume from (a full disk) are retried by it
     * every second, without limit.
     */
    static DiskStore open(Path dir) throws RocksDBException {
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
        for (Family family : Family.values()) {
            ColumnFamilyOptions o = new ColumnFamilyOptions()
                    .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
            if (family == Family.CHUNKS) {
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
            descriptors.add(new ColumnFamilyDescriptor(family.nameBytes(), o));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        return new DiskStore(dir, dbOptions, opts, descriptors, blockCache, db, handles);
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

    /**
     * Enters a database operation; false once the store is closing or while the database is
     * shut. Holds the read side of {@code life} until {@link #exit}.
     */
    boolean enter() {
        if (!life.readLock().tryLock()) {
            return false;
        }
        if (closed || !dbOpen) {
            life.readLock().unlock();
            return false;
        }
        return true;
    }

    /** Leaves an operation {@link #enter} let in. */
    void exit() {
        life.readLock().unlock();
    }

    boolean isOpen() {
        return dbOpen;
    }

    boolean isClosed() {
        return closed;
    }

    private ColumnFamilyHandle cf(Family family) {
        return handles.get(family.ordinal());
    }

    /** A read with RocksDB's checksums verified. */
    byte[] get(Family family, byte[] key) throws RocksDBException {
        return db.get(cf(family), readOptions, key);
    }

    /** A read with RocksDB's default options, for records whose absence matters more than their damage. */
    byte[] getPlain(Family family, byte[] key) throws RocksDBException {
        return db.get(cf(family), key);
    }

    /** A chunk read: its own CRC32C is checked by the caller, not RocksDB's (see {@code chunkReadOptions}). */
    byte[] getChunk(byte[] key) throws RocksDBException {
        return db.get(cf(Family.CHUNKS), chunkReadOptions, key);
    }

    void put(Family family, byte[] key, byte[] value) throws RocksDBException {
        db.put(cf(family), writeOptions, key, value);
    }

    /** A write that skips the write-ahead log: lost in a crash unless {@link #flush(Family)} ran after it. */
    void putUnlogged(Family family, byte[] key, byte[] value) throws RocksDBException {
        db.put(cf(family), unloggedWrites, key, value);
    }

    void delete(Family family, byte[] key) throws RocksDBException {
        db.delete(cf(family), key);
    }

    /** Deletes the keys of {@code family} from {@code from} (inclusive) to {@code to} (exclusive). */
    void deleteRange(Family family, byte[] from, byte[] to) throws RocksDBException {
        db.deleteRange(cf(family), from, to);
    }

    /** An iterator over {@code family}, to be closed by the caller. */
    RocksIterator iterator(Family family) {
        return db.newIterator(cf(family));
    }

    /** A batch of writes by family, applied at once by {@link #write}. */
    final class Batch implements AutoCloseable {
        private final WriteBatch batch = new WriteBatch();

        void put(Family family, byte[] key, byte[] value) throws RocksDBException {
            batch.put(cf(family), key, value);
        }

        void delete(Family family, byte[] key) throws RocksDBException {
            batch.delete(cf(family), key);
        }

        @Override
        public void close() {
            batch.close();
        }
    }

    Batch batch() {
        return new Batch();
    }

    void write(Batch batch) throws RocksDBException {
        db.write(writeOptions, batch.batch);
    }

    /** What a reopen does once the database is open again, still under the write side of {@code life}. */
    interface Recount {
        void run() throws RocksDBException;
    }

    /**
     * Closes and opens the database again, under the write side of {@code life}, then runs
     * {@code recount}; null when it all worked, else what failed (the database is then shut and
     * every {@link #enter} refused until a reopen works).
     */
    String reopen(Recount recount) {
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
            handles = list;
            try {
                recount.run();
            } catch (RocksDBException e) {
                list.forEach(ColumnFamilyHandle::close);
                reopened.close();
                return "recount after reopen failed: " + e.getMessage();
            }
            dbOpen = true;
            return null;
        } finally {
            life.writeLock().unlock();
        }
    }

    /**
     * Refuses every operation from now on; waits for those under way. False when it was done
     * already. The database stays open for {@link #close} (the evictor may still be stopping).
     */
    boolean markClosed() {
        if (closed) {
            return false;
        }
        life.writeLock().lock();
        try {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        } finally {
            life.writeLock().unlock();
        }
    }

    /** Writes {@code family}'s memtable to its files and waits until it is there. */
    void flush(Family family) throws RocksDBException {
        try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            db.flush(f, cf(family));
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

    /** Flushes and closes the database and frees its native options; after {@link #markClosed}. */
    void close() {
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

package dev.outpost.edge.cache;

import dev.outpost.edge.cache.DiskLayout.Family;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.rocksdb.RocksDBException;

/**
 * The write side of a fill on the disk tier, in the order a fill calls it: a fill id unique
 * across restarts, a pending mark and room made before the first chunk ({@link #beginFill}),
 * chunks with their checksums, room reserved as a fill of unknown length grows, then the commit
 * that makes the entry visible, or the abort that deletes its chunks and gives its room back.
 * A crash before the commit leaves a pending mark, and the tier deletes that fill's chunks when
 * it opens.
 *
 * <p>After a reopen (the database closed and opened again after write failures) the counts are
 * recounted without the reservations of fills under way and their pending marks may be gone:
 * a fill that began before it ({@link #staleFill}) is refused further chunks and its abort gives
 * nothing back.
 *
 * <p>Lock discipline: every method runs inside {@link DiskStore#enter} (its own, or its caller's
 * for {@link #newFillIdOpen}, which the evictor calls while requeueing). Fill ids come from an
 * atomic counter; reserving the next block of ids in the database happens under this object's
 * monitor, the ceiling being volatile so the common case takes no lock. A commit takes the key's
 * lock ({@link DiskEntries#lockFor}) after making room, never while evicting.
 */
final class DiskFills {

    /**
     * Chunks that start at this offset of a body or later skip RocksDB's write-ahead log. The
     * portable native build checksums WAL records with a table-driven CRC: 62% of the CPU of the
     * thread storing a large fill went there, and each chunk was written three times (WAL,
     * memtable, blob file). Such a fill's chunks are flushed to their blob files before its
     * metadata commits, so a committed entry never names a chunk a crash could lose; a fill that
     * had not committed is dropped at start by its pending mark.
     */
    static final long LOGGED_BYTES = 8L * 1024 * 1024;

    private final DiskTier tier;
    private final DiskStore store;
    private final DiskEntries stored;
    private final DiskEvictor evictor;
    private final AtomicLong usedBytes;
    private final AtomicLong nextFillId = new AtomicLong();
    /** The end of the fill ids reserved in the database; raised under this object's monitor. */
    private volatile long fillIdCeiling;
    /** Fills with a smaller id began before the last reopen: their pending marks are gone. */
    private volatile long fillFloor;

    DiskFills(DiskTier tier, DiskStore store, DiskEntries stored, DiskEvictor evictor, AtomicLong usedBytes) {
        this.tier = tier;
        this.store = store;
        this.stored = stored;
        this.evictor = evictor;
        this.usedBytes = usedBytes;
    }

    /**
     * Starts handing out fill ids from the one the database has reserved up to (1 in a new
     * one), reserving the next block; when the database is opened, before it is shared, or
     * under the write side of the store during a reopen.
     */
    void restartIds() throws RocksDBException {
        byte[] seq = store.getPlain(Family.DEFAULT, DiskLayout.FILL_SEQ);
        long start = seq == null ? 1 : DiskLayout.readLong(seq);
        nextFillId.set(start);
        reserveFillIds(start);
    }

    /** Writes the chunks held in memory to their blob files and waits until they are there. */
    private void flushChunks() throws RocksDBException {
        try {
            store.flush(Family.CHUNKS);
        } catch (RocksDBException e) {
            tier.failed(e);
            throw e;
        }
    }

    /** After a reopen: every fill that began before it is stale. */
    void reopened() {
        fillFloor = nextFillId.get();
    }

    synchronized void reserveFillIds(long from) throws RocksDBException {
        fillIdCeiling = from + 100_000;
        store.put(Family.DEFAULT, DiskLayout.FILL_SEQ, DiskLayout.longBytes(fillIdCeiling));
    }

    static RocksDBException closedException() {
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
                        tier.failed(e);
                        throw e;
                    }
                }
            }
        }
        return id;
    }

    /**
     * Makes room for a fill and, when its chunks are written as they come ({@code mark}), marks it
     * as under way, so a crash before commit leaves nothing visible. A small fill whose body is
     * written with its commit, in one batch, needs no mark: a crash leaves nothing of it at all.
     */
    void beginFill(long fillId, String key, long reserve, boolean mark) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            evictor.makeRoom(reserve);
            if (mark) {
                try {
                    store.put(Family.PENDING, DiskLayout.longBytes(fillId), DiskLayout.utf8(key));
                } catch (RocksDBException e) {
                    tier.failed(e); // the first write of a fill: a disk that refuses writes shows here first
                    throw e;
                }
            }
            usedBytes.addAndGet(reserve);
            evictor.wakeIfOver();
        } finally {
            store.exit();
        }
    }

    /**
     * Writes one chunk of a fill (its checksum is computed here); {@code offset} is where it
     * starts in the body: from {@link #LOGGED_BYTES} on it skips the WAL and its fill's commit
     * flushes it.
     */
    void writeChunk(long fillId, int index, long offset, ByteBuffer data) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            if (staleFill(fillId)) {
                throw new RocksDBException("disk tier reopened during the fill");
            }
            byte[] value = DiskLayout.encodeChunk(data);
            try {
                if (offset >= LOGGED_BYTES) {
                    store.putUnlogged(Family.CHUNKS, DiskLayout.chunkKey(fillId, index), value);
                } else {
                    store.put(Family.CHUNKS, DiskLayout.chunkKey(fillId, index), value);
                }
            } catch (RocksDBException e) {
                tier.failed(e);
                throw e;
            }
        } finally {
            store.exit();
        }
    }

    /**
     * Makes a fill visible: metadata, tags and recency in one batch with the removal of its
     * pending mark, or, for a fill begun without one, with its whole {@code body} as chunk 0. A
     * previous entry under the same key is replaced and its chunks deleted.
     */
    void commit(CachedResponse r, long reserved, @Nullable ByteBuffer body) throws RocksDBException {
        if (!store.enter()) {
            throw closedException();
        }
        try {
            if (staleFill(r.fillId()) && r.bodyLength() > 0) {
                throw new RocksDBException("disk tier reopened during the fill");
            }
            if (r.bodyLength() > LOGGED_BYTES) {
                flushChunks(); // its chunks past LOGGED_BYTES skipped the WAL: on disk before it is named
            }
            evictor.makeRoom(r.weight() - reserved);
            ReentrantLock lock = stored.lockFor(r.key());
            lock.lock();
            try {
                stored.commitLocked(r, reserved, body);
            } finally {
                lock.unlock();
            }
            evictor.wakeIfOver();
        } finally {
            store.exit();
        }
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
                stored.deleteChunks(fillId);
                store.delete(Family.PENDING, DiskLayout.longBytes(fillId));
            } catch (RocksDBException e) {
                tier.failed(e);
            }
        } finally {
            store.exit();
        }
    }

    /** A fill that began before the last reopen: its pending mark and reservation are gone. */
    private boolean staleFill(long fillId) {
        return fillId < fillFloor;
    }
}

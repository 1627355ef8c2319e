package dev.outpost.edge.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A response being stored while clients read it. One writer (the thread copying the upstream
 * body) appends; any number of readers (the client that caused the fetch and every collapsed
 * waiter) read at their own pace from any offset, waiting for bytes not yet arrived.
 *
 * <p>Bytes pass through a chunk buffer; each full chunk goes to the disk tier. Small objects
 * (memory-tier candidates) keep every chunk in heap and go to the memory tier when complete;
 * large ones keep only the last few chunks in heap, so a slow reader reads older bytes back
 * from disk and heap use per fill stays a few chunks whatever the object's size. A fill that
 * fails (upstream reset, length mismatch, disk failure) is never committed, and readers that
 * need bytes it does not have get an {@link IOException}, so their clients see an aborted
 * response, never a truncated one passed off as whole.
 *
 * <p>A body of unknown length (chunked, no Content-Length) is held like a known one: every
 * chunk in heap only while it could still go to the memory tier ({@code keepLimit}), then a
 * ring of the last few, the rest on disk, its disk space reserved chunk by chunk. Once it
 * grows past {@code storeLimit} (the largest object the disk tier takes) the fill is
 * abandoned: nothing more is stored, its chunks on disk are released, and the readers still
 * within the ring keep streaming from the origin while readers further behind are cut off.
 * An abandoned fill that no reader follows any more stops copying, so the origin connection
 * is closed rather than drained for nobody.
 */
public final class Fill {

    private static final Logger LOG = LoggerFactory.getLogger(Fill.class);
    private static final int RING = 4;
    /** Heap a fill may hold for its readers once the disk tier failed under it. */
    private static final long HEAP_AFTER_DISK_FAILURE = 64L * 1024 * 1024;

    private final TieredCache cache;
    private final CachedResponse head;
    private final long expectedLength;
    private final int chunkSize;
    /** Every chunk is kept in heap (a memory-tier candidate); for unknown length, only up to {@link #keepLimit}. */
    @GuardedBy("lock")
    private boolean keepAll;
    /** Disk bytes reserved for this fill: the announced length up front, or chunk by chunk for unknown length. */
    @GuardedBy("lock")
    private long reserved;
    private final long keepLimit;
    private final long storeLimit;
    /** Its body is written with its commit rather than chunk by chunk ({@link #writtenWithCommit()}). */
    private final boolean writtenWithCommit;
    /** Clients reading the fill, with the offset each wants next (guarded by {@link #lock}). */
    @GuardedBy("lock")
    private final List<Reader> readers = new ArrayList<>();
    private volatile boolean abandoned;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    @GuardedBy("lock")
    private final Map<Integer, ByteBuffer> chunks = new HashMap<>();
    private byte[] current;
    private int chunkIndex;
    private long length;
    @GuardedBy("lock")
    private boolean toDisk;
    /** Chunks below this index are on disk (written before a disk failure, or all of them). */
    private volatile int diskLimit;
    /** Its disk reservation and pending chunks are still to be released when the fill ends unstored. */
    @GuardedBy("lock")
    private boolean diskHeld;
    @GuardedBy("lock")
    private boolean storable = true;
    private volatile boolean invalidated;
    private volatile State state = State.RUNNING;
    private volatile Throwable failure;
    @GuardedBy("lock")
    private CachedResponse committed;
    @GuardedBy("lock")
    private ByteBuffer completeBody;
    @GuardedBy("lock")
    private boolean bodyDone;

    enum State { RUNNING, COMPLETE, FAILED }

    Fill(TieredCache cache, CachedResponse head, long expectedLength, boolean toDisk, boolean keepAll, long reserved) {
        this(cache, head, expectedLength, toDisk, keepAll, reserved, Long.MAX_VALUE, Long.MAX_VALUE, false);
    }

    /**
     * @param keepLimit for a body of unknown length: heap kept for the memory tier at most
     * @param storeLimit for a body of unknown length: longer bodies are abandoned unstored
     * @param writtenWithCommit its body (one chunk, kept whole in heap) goes to the disk tier with
     *     its commit, in one batch, instead of chunk by chunk
     */
    Fill(TieredCache cache, CachedResponse head, long expectedLength, boolean toDisk, boolean keepAll, long reserved,
         long keepLimit, long storeLimit, boolean writtenWithCommit) {
        this.cache = cache;
        this.head = head;
        this.expectedLength = expectedLength;
        this.chunkSize = head.chunkSize();
        this.toDisk = toDisk;
        this.diskHeld = toDisk;
        this.diskLimit = toDisk ? Integer.MAX_VALUE : 0;
        this.keepAll = keepAll;
        this.reserved = reserved;
        this.keepLimit = keepLimit;
        this.storeLimit = storeLimit;
        this.writtenWithCommit = writtenWithCommit;
        this.current = new byte[initialCapacity(expectedLength, chunkSize)];
    }

    /** Small bodies get small buffers: thousands of concurrent fills must not each take a whole chunk. */
    private static int initialCapacity(long expectedLength, int chunkSize) {
        if (expectedLength >= 0) {
            return (int) Math.max(1, Math.min(chunkSize, expectedLength));
        }
        return Math.min(chunkSize, 16 * 1024);
    }

    /** Whether the disk tier takes its body with its commit, in one batch (a body of one chunk kept whole). */
    boolean writtenWithCommit() {
        return writtenWithCommit;
    }

    /** The response head (status, headers, freshness) being stored. */
    public CachedResponse head() {
        return head;
    }

    /** The body length announced upstream, or -1. */
    public long expectedLength() {
        return expectedLength;
    }

    /** Marks the fill so it completes for its readers but is not stored (a purge overtook it). */
    public void invalidate() {
        invalidated = true;
    }

    public String key() {
        return head.key();
    }

    // ---- writer side ----

    /**
     * Appends upstream bytes.
     *
     * @throws IOException if upstream sent more than it announced (the fill has then failed)
     */
    public void append(byte[] buf, int off, int len) throws IOException {
        if (state != State.RUNNING) {
            // failed (or the node is closing): stop copying, and never touch the disk tier again
            throw new IOException("fill of " + head.key() + " ended", failure);
        }
        if (expectedLength >= 0 && length + len > expectedLength) {
            IOException e = new IOException("upstream sent more than its Content-Length");
            fail(e);
            throw e;
        }
        boolean stop;
        while (len > 0) {
            if (abandoned) {
                lock.lock();
                try {
                    stop = awaitReaders();
                } finally {
                    lock.unlock();
                }
                if (stop) {
                    IOException e = new IOException("fill of " + head.key() + " not stored and no client reads it any more");
                    fail(e);
                    throw e;
                }
            }
            int pos = (int) (length - (long) chunkIndex * chunkSize);
            int n = Math.min(len, chunkSize - pos);
            if (pos + n > current.length) {
                grow(pos + n);
            }
            System.arraycopy(buf, off, current, pos, n);
            off += n;
            len -= n;
            lock.lock();
            try {
                length += n;
                stop = expectedLength < 0 && boundUnknownLength();
                if (pos + n == chunkSize) {
                    sealChunk(chunkSize);
                }
                progress.signalAll();
            } finally {
                lock.unlock();
            }
            if (stop) {
                IOException e = new IOException("fill of " + head.key() + " not stored and no client reads it any more");
                fail(e);
                throw e;
            }
        }
    }

    /** Enlarges the chunk buffer (up to a whole chunk); readers keep the old one, which holds what they were given. */
    private void grow(int needed) {
        int size = Math.min(chunkSize, Math.max(needed, current.length * 2));
        byte[] bigger = java.util.Arrays.copyOf(current, size);
        lock.lock();
        try {
            current = bigger;
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held: stores the current chunk and starts the next. */
    @GuardedBy("lock")
    private void sealChunk(int size) {
        ByteBuffer chunk = ByteBuffer.wrap(current, 0, size).asReadOnlyBuffer();
        if (toDisk && storable && state == State.RUNNING && !writtenWithCommit) {
            try {
                if (expectedLength < 0) {
                    if (cache.disk().reserve(size)) {
                        reserved += size;
                    }
                }
                cache.disk().writeChunk(head.fillId(), chunkIndex, (long) chunkIndex * chunkSize, chunk);
            } catch (RocksDBException e) {
                LOG.warn("fill of {} continues without storing: {}", head.key(), e.getMessage());
                toDisk = false;
                // what reached the disk stays readable there; what follows stays in heap (up to a
                // bound) so that readers behind the writer are not cut off by a failing disk
                diskLimit = chunkIndex;
                cache.disk().release(reserved);
                reserved = 0;
                if (!keepAll) {
                    storable = false;
                }
            }
        }
        chunks.put(chunkIndex, chunk);
        if (!keepAll) {
            int leaving = chunkIndex - RING;
            if (leaving < diskLimit || abandoned) {
                chunks.remove(leaving);
            } else if ((long) (chunkIndex - diskLimit) * chunkSize > HEAP_AFTER_DISK_FAILURE) {
                chunks.keySet().removeIf(i -> i <= leaving);
            }
        }
        if (size == chunkSize) {
            chunkIndex++;
            long left = expectedLength >= 0 ? expectedLength - (long) chunkIndex * chunkSize : -1;
            current = new byte[initialCapacity(left, chunkSize)];
        }
    }

    /**
     * Called with the lock held, for a body of unknown length: past {@link #keepLimit} it is no
     * memory-tier candidate (chunks on disk leave the heap), past {@link #storeLimit} it is not
     * stored at all. True when the copy should stop: abandoned, and no client reads it.
     */
    @GuardedBy("lock")
    private boolean boundUnknownLength() {
        if (keepAll && length > keepLimit) {
            keepAll = false;
            if (!toDisk) {
                storable = false;
            }
            int leaving = chunkIndex - RING;
            chunks.keySet().removeIf(i -> i <= leaving && i < diskLimit);
        }
        if (!abandoned && length > storeLimit) {
            abandoned = true;
            storable = false;
            keepAll = false;
            if (toDisk) {
                // what is on disk stays readable for readers behind until the fill ends; nothing more goes there
                toDisk = false;
                diskLimit = chunkIndex;
            }
            int leaving = chunkIndex - RING;
            chunks.keySet().removeIf(i -> i <= leaving && i < diskLimit);
            LOG.info("fill of {} abandoned: longer than {} bytes with no Content-Length; passed through unstored",
                    head.key(), storeLimit);
            cache.fillAbandoned();
        }
        return abandoned && readers.isEmpty();
    }

    /**
     * Called with the lock held by the writer of an abandoned fill: waits while the slowest
     * reader is more than the ring behind, so that a fill passed through unstored holds a few
     * chunks, not the body, and reads the origin at its readers' pace. A reader that stops
     * reading is cut off by its own write timeout, which detaches it. True when no reader is
     * left (the copy stops).
     */
    @GuardedBy("lock")
    private boolean awaitReaders() throws IOException {
        try {
            while (state == State.RUNNING && !readers.isEmpty() && length - slowestReader() > (long) (RING - 1) * chunkSize) {
                progress.await(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        return readers.isEmpty();
    }

    @GuardedBy("lock")
    private long slowestReader() {
        long min = Long.MAX_VALUE;
        for (Reader r : readers) {
            min = Math.min(min, r.pos);
        }
        return min;
    }

    /** Whether the fill grew past the largest storable object and is passed through unstored. */
    public boolean abandoned() {
        return abandoned;
    }

    /**
     * A client starts reading the fill. Each reader must be closed when done, so that an
     * abandoned fill paces itself on the readers left and stops copying when none is.
     */
    public Reader attach() {
        Reader r = new Reader();
        lock.lock();
        try {
            readers.add(r);
        } finally {
            lock.unlock();
        }
        return r;
    }

    /** One client's reading of the fill; its offset paces an abandoned fill. */
    public final class Reader implements AutoCloseable {
        private volatile long pos;

        private Reader() {
        }

        /** As {@link Fill#read}, recording the offset. */
        public ByteBuffer read(long from, long timeoutMillis) throws IOException {
            if (abandoned) {
                lock.lock();
                try {
                    pos = from;
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
            } else {
                pos = from;
            }
            return Fill.this.read(from, timeoutMillis);
        }

        public Fill fill() {
            return Fill.this;
        }

        /** The client stopped reading (finished, cut off, or gone). */
        @Override
        public void close() {
            lock.lock();
            try {
                readers.remove(this);
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * The upstream body ended: verifies its length and lets readers finish at once, before the
     * (slower) store into the tiers. Returns false when the fill failed.
     */
    public boolean finishBody() {
        if (expectedLength >= 0 && length != expectedLength) {
            fail(new IOException("upstream body ended after " + length + " of " + expectedLength + " bytes"));
            return false;
        }
        lock.lock();
        try {
            if (state != State.RUNNING) {
                return false;
            }
            if (bodyDone) {
                return true;
            }
            int rest = (int) (length - (long) chunkIndex * chunkSize);
            if (rest > 0) {
                sealChunk(rest);
            }
            bodyDone = true;
            if (keepAll) {
                completeBody = wholeBody().asReadOnlyBuffer();
            }
            progress.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The upstream body ended normally: verifies the length and stores the response. */
    public void complete() {
        if (!finishBody()) {
            return;
        }
        CachedResponse done = new CachedResponse(head.key(), head.status(), head.headerNames(), head.headerValues(),
                head.requestTime(), head.responseTime(), head.correctedInitialAge(), head.lifetime(),
                head.staleWhileRevalidate(), head.staleIfError(), head.flags(), length, head.fillId(), chunkSize,
                head.tags(), head.varyNames(), 0);
        boolean stored = false;
        ByteBuffer whole;
        boolean store;
        boolean disk;
        long held;
        lock.lock();
        try {
            whole = completeBody == null ? null : completeBody.duplicate();
            store = storable && !invalidated;
            disk = toDisk;
            held = toDisk ? reserved : 0;
            if (store && disk) {
                diskHeld = false; // committed below, or aborted by the commit (also when a purge overtook it)
            }
        } finally {
            lock.unlock();
        }
        if (store) {
            stored = cache.commit(this, done, disk, whole, held);
        }
        releaseDisk();
        lock.lock();
        try {
            committed = stored ? done : null;
            state = State.COMPLETE;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        cache.fillEnded(this);
    }

    /** The upstream body failed: nothing is stored; readers past the received bytes fail. */
    public void fail(Throwable cause) {
        lock.lock();
        try {
            if (state != State.RUNNING) {
                return;
            }
            state = State.FAILED;
            failure = cause;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        releaseDisk();
        cache.fillEnded(this);
    }

    /** Gives back what an unstored fill holds on disk: its chunks and pending mark, its reservation unless already released. */
    private void releaseDisk() {
        boolean release;
        long held = 0;
        lock.lock();
        try {
            release = diskHeld;
            diskHeld = false;
            if (release) {
                held = reserved;
                reserved = 0;
            }
        } finally {
            lock.unlock();
        }
        if (release) {
            cache.disk().abort(head.fillId(), held);
        }
    }

    @GuardedBy("lock")
    private ByteBuffer wholeBody() {
        ByteBuffer all = ByteBuffer.allocateDirect((int) length);
        for (int i = 0; i <= chunkIndex; i++) {
            ByteBuffer c = chunks.get(i);
            if (c != null) {
                all.put(c.duplicate());
            }
        }
        return all.flip();
    }

    // ---- reader side ----

    /**
     * Bytes from {@code pos}: a read-only buffer of at least one byte, waiting for them if
     * needed; null at the end of the body.
     *
     * @throws IOException if the fill failed before reaching {@code pos}, or the bytes are no
     *     longer available
     */
    public ByteBuffer read(long pos, long timeoutMillis) throws IOException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (pos >= length && state == State.RUNNING && !bodyDone) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("timed out waiting for upstream bytes");
                }
                progress.awaitNanos(left);
            }
            if (pos >= length) {
                if (state == State.FAILED) {
                    throw new IOException("upstream body failed", failure);
                }
                return null;
            }
            int index = (int) (pos / chunkSize);
            int offset = (int) (pos % chunkSize);
            ByteBuffer chunk = chunks.get(index);
            if (chunk == null && index == chunkIndex) {
                int avail = (int) (length - (long) chunkIndex * chunkSize);
                return ByteBuffer.wrap(current, offset, avail - offset).asReadOnlyBuffer();
            }
            if (chunk != null) {
                ByteBuffer b = chunk.duplicate();
                b.position(offset);
                return b.slice();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            lock.unlock();
        }
        // an older chunk: read it back from disk
        int index = (int) (pos / chunkSize);
        if (index >= diskLimit) {
            throw new IOException("reader fell behind a fill that is not being stored");
        }
        try {
            long total = Math.max(length, (long) (index + 1) * chunkSize);
            ByteBuffer b = cache.disk().readChunk(head.withBodyLength(total), index, false);
            b.position((int) (pos % chunkSize));
            return b.slice();
        } catch (CorruptEntryException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Whether a purge overtook the fill: it completes for its readers but is not stored. */
    public boolean invalidated() {
        return invalidated;
    }

    /** Why the fill failed, as an exception; null while it has not failed. */
    public Exception failure() {
        Throwable t = failure;
        if (state != State.FAILED) {
            return null;
        }
        return t instanceof Exception e ? e : new IOException("upstream body failed", t);
    }

    /** Whether the fill has ended, stored or not. */
    public boolean ended() {
        return state != State.RUNNING;
    }

    /** The whole body once the fill has completed, when it was kept in memory; else null. */
    public ByteBuffer completeBody() {
        lock.lock();
        try {
            return bodyDone && state != State.FAILED ? completeBody : null;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the body has ended, and its length if so (else -1). */
    public long finalLength() {
        lock.lock();
        try {
            return bodyDone && state != State.FAILED ? length : -1;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the fill ends; the committed response, or null if it was not stored. */
    public CachedResponse awaitEnd(long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (state == State.RUNNING && nanos > 0) {
                nanos = progress.awaitNanos(nanos);
            }
            return committed;
        } finally {
            lock.unlock();
        }
    }

    List<Integer> heldChunks() {
        lock.lock();
        try {
            return new ArrayList<>(chunks.keySet());
        } finally {
            lock.unlock();
        }
    }
}

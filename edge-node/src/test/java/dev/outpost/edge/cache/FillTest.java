package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.config.CacheSettings;
import dev.outpost.config.DataSize;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link Fill} on its own, over a real {@link TieredCache} in a temporary directory with
 * 64-byte chunks: readers wait for bytes not yet arrived and are woken by appends, read from any
 * offset (older chunks back from disk), and reach the end only when the body is whole; a fill
 * that fails (upstream reset, more or fewer bytes than its Content-Length) gives the readers
 * behind an {@link IOException}, never a short body that ends as if it were whole, and stores
 * nothing; an invalidated fill completes for its readers but is not stored; a body of unknown
 * length is kept in heap up to {@code keepLimit}, abandoned past {@code storeLimit}, paced on
 * its slowest reader once abandoned, and stops copying when no reader is left.
 */
class FillTest {

    private static final int CHUNK = 64;
    /** {@code cache.memory-max-object}: the fill's keepLimit. */
    private static final int KEEP_LIMIT = 4 * CHUNK;
    /** {@code cache.disk-max-object}: the fill's storeLimit. */
    private static final int STORE_LIMIT = 16 * CHUNK;
    /** Chunks an abandoned or large fill keeps in heap (Fill.RING). */
    private static final int RING = 4;
    private static final long WAIT = 60_000;

    @TempDir
    Path dir;

    private SimpleMeterRegistry registry;
    private TieredCache cache;

    @BeforeEach
    void open() throws IOException {
        registry = new SimpleMeterRegistry();
        CacheSettings settings = new CacheSettings(DataSize.ofMebibytes(1), DataSize.ofBytes(KEEP_LIMIT),
                DataSize.ofMebibytes(16), DataSize.ofBytes(STORE_LIMIT), DataSize.ofBytes(CHUNK), null, null, null,
                null, null, null);
        cache = TieredCache.open(settings, dir, new ManualClock(), registry);
    }

    @AfterEach
    void close() {
        cache.close();
    }

    // ---- waiting and reading ----

    @Test
    void aReaderWaitingForBytesNotYetArrivedIsWokenByAnAppend() throws Exception {
        byte[] body = body(100);
        Fill fill = begin("h/wait", body.length);
        Running<ByteBuffer> reader = Running.start("reader", () -> fill.read(0, WAIT));
        Await.until("the reader waits for the first byte", Duration.ofSeconds(5), reader::waiting);
        assertThat(reader.done()).isFalse();

        fill.append(body, 0, 10);
        assertThat(bytes(reader.get())).isEqualTo(Arrays.copyOfRange(body, 0, 10));

        Running<ByteBuffer> next = Running.start("reader at 10", () -> fill.read(10, WAIT));
        Await.until("the reader waits at offset 10", Duration.ofSeconds(5), next::waiting);
        fill.append(body, 10, 90);
        assertThat(bytes(next.get())).as("woken with the bytes from its own offset")
                .isEqualTo(Arrays.copyOfRange(body, 10, 64)); // to the end of the first chunk
    }

    @Test
    void aReaderCanStartAtAnyOffsetOfWhatHasArrived() throws Exception {
        byte[] body = body(200);
        Fill fill = begin("h/offsets", body.length);
        fill.append(body, 0, 150); // two whole chunks and part of the third
        for (int from : new int[] {0, 1, 63, 64, 65, 127, 128, 149}) {
            assertThat(readUntil(fill, from, 150)).as("from %d", from).isEqualTo(Arrays.copyOfRange(body, from, 150));
        }
        fill.append(body, 150, 50);
        assertThat(fill.finishBody()).isTrue();
        for (int from : new int[] {0, 77, 150, 199}) {
            assertThat(readAll(fill, from)).as("from %d", from).isEqualTo(Arrays.copyOfRange(body, from, 200));
        }
        assertThat(fill.read(200, WAIT)).as("the end").isNull();
        fill.complete();
    }

    @Test
    void aLargeBodyKeepsOnlyTheLastChunksInHeapAndASlowReaderReadsTheRestBackFromDisk() throws Exception {
        byte[] body = body(STORE_LIMIT - 24); // on disk only: larger than keepLimit
        Fill fill = begin("h/large", body.length);
        for (int off = 0; off < body.length; off += CHUNK) {
            fill.append(body, off, Math.min(CHUNK, body.length - off));
            assertThat(fill.heldChunks().size()).as("chunks in heap").isLessThanOrEqualTo(RING + 1);
        }
        assertThat(fill.heldChunks()).doesNotContain(0, 1, 2, 3);
        assertThat(readUntil(fill, 0, body.length)).as("the slow reader, from disk then heap").isEqualTo(body);
        assertThat(readUntil(fill, 3 * CHUNK + 5, body.length))
                .isEqualTo(Arrays.copyOfRange(body, 3 * CHUNK + 5, body.length));
        fill.complete();
        assertThat(fill.completeBody()).as("not a memory-tier candidate").isNull();
    }

    // ---- completion ----

    @Test
    void aCompleteFillLetsItsWaitingReadersReachTheEndAndIsStoredInMemory() throws Exception {
        byte[] body = body(150);
        Fill fill = begin("h/small", body.length);
        fill.append(body, 0, body.length);
        Running<ByteBuffer> atEnd = Running.start("reader at the end", () -> fill.read(150, WAIT));
        Await.until("the reader waits past the last byte", Duration.ofSeconds(5), atEnd::waiting);
        assertThat(fill.finalLength()).as("not ended before complete").isEqualTo(-1);

        fill.complete();
        assertThat(atEnd.get()).as("the end of a whole body").isNull();
        assertThat(fill.ended()).isTrue();
        assertThat(fill.failure()).isNull();
        assertThat(fill.finalLength()).isEqualTo(150);
        assertThat(bytes(fill.completeBody())).isEqualTo(body);
        CachedResponse committed = fill.awaitEnd(WAIT);
        assertThat(committed).isNotNull();
        assertThat(committed.bodyLength()).isEqualTo(150);

        TieredCache.Hit hit = hit("h/small");
        assertThat(hit.tier()).isEqualTo(TieredCache.Tier.MEMORY);
        assertThat(bytes(hit.memoryBody())).isEqualTo(body);
    }

    @Test
    void aCompleteLargeFillIsStoredOnDisk() throws Exception {
        byte[] body = body(STORE_LIMIT);
        Fill fill = begin("h/disk", body.length);
        fill.append(body, 0, body.length);
        fill.complete();
        assertThat(fill.awaitEnd(WAIT)).isNotNull();
        TieredCache.Hit hit = hit("h/disk");
        assertThat(hit.tier()).isEqualTo(TieredCache.Tier.DISK);
        assertThat(hit.memoryBody()).isNull();
        assertThat(storedBody(hit)).isEqualTo(body);
    }

    // ---- a body of one chunk: written with its commit ----

    @Test
    void aBodyOfOneChunkReachesTheDiskOnlyWithItsCommitAndIsReadBackAfterAReopen() throws Exception {
        byte[] body = body(50); // one chunk, kept in heap whole
        Fill fill = begin("h/whole", body.length);
        assertThat(fill.writtenWithCommit()).isTrue();
        fill.append(body, 0, body.length);
        assertThat(fill.finishBody()).isTrue();
        assertThatThrownBy(() -> cache.disk().readChunk(fill.head(), 0, false))
                .as("nothing on disk before the commit: a crash leaves nothing of it")
                .isInstanceOf(CorruptEntryException.class);
        fill.complete();
        CachedResponse stored = cache.disk().get("h/whole");
        assertThat(stored).isNotNull();
        assertThat(bytes(cache.disk().readChunk(stored, 0))).as("chunk 0 written in the commit's batch").isEqualTo(body);

        cache.close();
        cache = TieredCache.open(new CacheSettings(DataSize.ofMebibytes(1), DataSize.ofBytes(KEEP_LIMIT),
                DataSize.ofMebibytes(16), DataSize.ofBytes(STORE_LIMIT), DataSize.ofBytes(CHUNK), null, null, null,
                null, null, null), dir, new ManualClock(), new SimpleMeterRegistry());
        TieredCache.Hit hit = hit("h/whole");
        assertThat(hit.tier()).isEqualTo(TieredCache.Tier.DISK);
        assertThat(bytes(cache.disk().readChunk(hit.response(), 0))).isEqualTo(body);
    }

    @Test
    void aBodyLargerThanOneChunkIsWrittenChunkByChunkUnderAPendingMark() throws Exception {
        byte[] body = body(CHUNK + 10);
        Fill fill = begin("h/chunked", body.length);
        assertThat(fill.writtenWithCommit()).isFalse();
        fill.append(body, 0, CHUNK); // the first chunk is full: it goes to disk now
        assertThat(bytes(cache.disk().readChunk(fill.head(), 0, false))).isEqualTo(Arrays.copyOf(body, CHUNK));
        fill.append(body, CHUNK, 10);
        fill.complete();
        assertThat(readAll(fill, 0)).isEqualTo(body);
    }

    // ---- failure: an error, never a short body passed off as whole ----

    @Test
    void anUpstreamResetGivesReadersBehindAnErrorAfterTheBytesThatCameAndStoresNothing() throws Exception {
        byte[] body = body(200);
        Fill fill = begin("h/reset", body.length);
        fill.append(body, 0, 90);
        Running<ByteBuffer> atTip = Running.start("reader at the tip", () -> fill.read(90, WAIT));
        Await.until("the reader waits for byte 90", Duration.ofSeconds(5), atTip::waiting);

        fill.fail(new IOException("connection reset"));
        assertThatThrownBy(atTip::get).hasCauseInstanceOf(IOException.class);
        // a reader behind still gets what came, then an error where the body broke off
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertThatThrownBy(() -> readInto(fill, 0, got)).isInstanceOf(IOException.class);
        assertThat(got.toByteArray()).isEqualTo(Arrays.copyOfRange(body, 0, 90));

        assertThat(fill.ended()).isTrue();
        assertThat(fill.failure()).isNotNull();
        assertThat(fill.finalLength()).isEqualTo(-1);
        assertThat(fill.completeBody()).isNull();
        assertThat(fill.awaitEnd(WAIT)).as("not stored").isNull();
        assertThatThrownBy(() -> fill.append(body, 90, 10)).as("the copy stops").isInstanceOf(IOException.class);
        fill.complete(); // a late complete changes nothing
        assertThat(fill.awaitEnd(WAIT)).isNull();
        assertMiss("h/reset");
    }

    @Test
    void moreBytesThanTheContentLengthFailTheFill() throws Exception {
        byte[] body = body(120);
        Fill fill = begin("h/long", 100);
        fill.append(body, 0, 100);
        Running<ByteBuffer> atEnd = Running.start("reader at the announced end", () -> fill.read(100, WAIT));
        Await.until("the reader waits at byte 100", Duration.ofSeconds(5), atEnd::waiting);

        assertThatThrownBy(() -> fill.append(body, 100, 20)).isInstanceOf(IOException.class);
        assertThatThrownBy(atEnd::get).as("not the end of a whole body").hasCauseInstanceOf(IOException.class);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertThatThrownBy(() -> readInto(fill, 0, got)).isInstanceOf(IOException.class);
        assertThat(got.toByteArray()).as("nothing past the announced length").isEqualTo(Arrays.copyOf(body, 100));
        fill.complete();
        assertThat(fill.awaitEnd(WAIT)).isNull();
        assertMiss("h/long");
    }

    @Test
    void fewerBytesThanTheContentLengthFailTheFill() throws Exception {
        byte[] body = body(100);
        Fill fill = begin("h/short", 200);
        fill.append(body, 0, 100);
        Running<ByteBuffer> atTip = Running.start("reader at the tip", () -> fill.read(100, WAIT));
        Await.until("the reader waits at byte 100", Duration.ofSeconds(5), atTip::waiting);

        assertThat(fill.finishBody()).as("the body ended early").isFalse();
        assertThatThrownBy(atTip::get).as("not the end of a whole body").hasCauseInstanceOf(IOException.class);
        assertThatThrownBy(() -> readAll(fill, 0)).isInstanceOf(IOException.class);
        fill.complete();
        assertThat(fill.failure()).isNotNull();
        assertThat(fill.completeBody()).isNull();
        assertThat(fill.awaitEnd(WAIT)).isNull();
        assertMiss("h/short");
    }

    // ---- a purge overtook it ----

    @Test
    void anInvalidatedFillCompletesForItsReadersButIsNotStored() throws Exception {
        byte[] body = body(150);
        Fill fill = begin("h/purged", body.length);
        fill.append(body, 0, 70);
        Running<ByteBuffer> atTip = Running.start("reader at the tip", () -> fill.read(70, WAIT));
        Await.until("the reader waits at byte 70", Duration.ofSeconds(5), atTip::waiting);

        fill.invalidate();
        assertThat(fill.invalidated()).isTrue();
        assertThat(fill.ended()).as("it goes on for its readers").isFalse();
        fill.append(body, 70, 80);
        assertThat(bytes(atTip.get())).isEqualTo(Arrays.copyOfRange(body, 70, 128));
        fill.complete();
        assertThat(readAll(fill, 0)).as("the whole body, then the end").isEqualTo(body);
        assertThat(fill.failure()).isNull();
        assertThat(fill.finalLength()).isEqualTo(150);
        assertThat(fill.awaitEnd(WAIT)).as("not stored").isNull();
        assertMiss("h/purged");
    }

    @Test
    void aReaderFarBehindAnInvalidatedLargeFillGetsTheWholeBodyOrAnErrorNeverAShortOne() throws Exception {
        byte[] body = body(STORE_LIMIT);
        Fill fill = begin("h/purged-large", body.length);
        fill.append(body, 0, body.length);
        fill.invalidate();
        fill.complete(); // its chunks on disk are let go: a reader behind the ring may find them gone
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            readInto(fill, 0, got);
            assertThat(got.toByteArray()).isEqualTo(body);
        } catch (IOException cutOff) {
            assertThat(got.size()).isLessThan(body.length);
        }
        assertThat(fill.awaitEnd(WAIT)).isNull();
    }

    // ---- unknown length ----

    @Test
    void anUnknownLengthWithinTheKeepLimitIsKeptInHeapAndStoredInMemory() throws Exception {
        byte[] body = body(KEEP_LIMIT);
        Fill fill = begin("h/chunked-small", -1);
        fill.append(body, 0, body.length);
        assertThat(fill.heldChunks()).as("every chunk in heap").containsExactlyInAnyOrder(0, 1, 2, 3);
        fill.complete();
        assertThat(bytes(fill.completeBody())).isEqualTo(body);
        assertThat(fill.awaitEnd(WAIT)).isNotNull();
        TieredCache.Hit hit = hit("h/chunked-small");
        assertThat(hit.tier()).isEqualTo(TieredCache.Tier.MEMORY);
        assertThat(bytes(hit.memoryBody())).isEqualTo(body);
    }

    @Test
    void anUnknownLengthPastTheKeepLimitKeepsOnlyTheRingAndIsStoredOnDisk() throws Exception {
        byte[] body = body(KEEP_LIMIT + 3 * CHUNK + 10);
        Fill fill = begin("h/chunked-medium", -1);
        for (int off = 0; off < body.length; off += CHUNK) {
            fill.append(body, off, Math.min(CHUNK, body.length - off));
        }
        assertThat(fill.heldChunks().size()).isLessThanOrEqualTo(RING + 1);
        assertThat(fill.heldChunks()).doesNotContain(0, 1);
        assertThat(readUntil(fill, 0, body.length)).as("a reader behind, from disk").isEqualTo(body);
        fill.complete();
        assertThat(fill.completeBody()).as("no memory-tier candidate").isNull();
        assertThat(fill.awaitEnd(WAIT)).isNotNull();
        TieredCache.Hit hit = hit("h/chunked-medium");
        assertThat(hit.tier()).isEqualTo(TieredCache.Tier.DISK);
        assertThat(storedBody(hit)).isEqualTo(body);
    }

    @Test
    void anUnknownLengthPastTheStoreLimitIsAbandonedAndPassedThroughUnstored() throws Exception {
        byte[] body = body(STORE_LIMIT + 8 * CHUNK);
        Fill fill = begin("h/chunked-large", -1);
        try (Fill.Reader reader = fill.attach()) {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long pos = 0;
            for (int off = 0; off < body.length; off += CHUNK) {
                fill.append(body, off, CHUNK);
                pos = readInto(reader, pos, off + CHUNK, got); // keeps up with the writer
                if (off + CHUNK <= STORE_LIMIT) {
                    assertThat(fill.abandoned()).as("at %d bytes", off + CHUNK).isFalse();
                }
            }
            assertThat(fill.abandoned()).isTrue();
            assertThat(registry.get("outpost_fills_abandoned_total").counter().count()).isEqualTo(1);
            assertThat(fill.heldChunks().size()).as("chunks in heap").isLessThanOrEqualTo(RING + 1);
            // chunks written before the abandonment are still readable from disk; those after it
            // that left the ring are nowhere: a reader that far behind is cut off with an error
            assertThat(readUntil(fill, 0, CHUNK)).isEqualTo(Arrays.copyOf(body, CHUNK));
            assertThatThrownBy(() -> fill.read(STORE_LIMIT + CHUNK, WAIT)).isInstanceOf(IOException.class);

            fill.complete();
            assertThat(fill.read(pos, WAIT)).isNull();
            assertThat(got.toByteArray()).as("the reader that kept up has it all").isEqualTo(body);
            assertThat(fill.failure()).isNull();
        }
        assertThat(fill.awaitEnd(WAIT)).as("not stored").isNull();
        assertMiss("h/chunked-large");
    }

    @Test
    void anAbandonedFillThatNoReaderFollowsStopsCopying() throws Exception {
        byte[] body = body(STORE_LIMIT + 4 * CHUNK);
        Fill fill = begin("h/nobody", -1);
        for (int off = 0; off < STORE_LIMIT; off += CHUNK) {
            fill.append(body, off, CHUNK);
        }
        assertThatThrownBy(() -> fill.append(body, STORE_LIMIT, CHUNK))
                .as("the append past the store limit, with no reader").isInstanceOf(IOException.class);
        assertThat(fill.ended()).isTrue();
        assertThat(fill.failure()).isNotNull();
        assertThat(fill.awaitEnd(WAIT)).isNull();
        assertMiss("h/nobody");
    }

    @Test
    void anAbandonedFillStopsCopyingWhenItsLastReaderCloses() throws Exception {
        byte[] body = body(STORE_LIMIT + 8 * CHUNK);
        Fill fill = begin("h/left", -1);
        Fill.Reader reader = fill.attach();
        long pos = 0;
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int off = 0; off <= STORE_LIMIT; off += CHUNK) {
            fill.append(body, off, CHUNK);
            pos = readInto(reader, pos, off + CHUNK, got);
        }
        assertThat(fill.abandoned()).isTrue();
        fill.append(body, STORE_LIMIT + CHUNK, CHUNK); // a reader still follows: the copy goes on
        reader.close();
        assertThatThrownBy(() -> fill.append(body, STORE_LIMIT + 2 * CHUNK, CHUNK)).isInstanceOf(IOException.class);
        assertThat(fill.ended()).isTrue();
        assertThat(fill.awaitEnd(WAIT)).isNull();
    }

    @Test
    void anAbandonedFillPacesItselfOnItsSlowestReader() throws Exception {
        int pieces = 64;
        byte[] body = body(pieces * CHUNK);
        Fill fill = begin("h/paced", -1);
        Fill.Reader slow = fill.attach();
        Fill.Reader fast = fill.attach();
        AtomicLong written = new AtomicLong();
        Running<Void> writer = Running.start("writer", () -> {
            for (int off = 0; off < body.length; off += CHUNK) {
                fill.append(body, off, CHUNK);
                written.addAndGet(CHUNK);
            }
            return null;
        });

        // both readers at 0: the writer goes on to the store limit (before it, chunks go to disk)
        // and then waits for them
        Await.until("the writer waits for its readers", Duration.ofSeconds(5), writer::waiting);
        assertThat(fill.abandoned()).isTrue();
        long first = written.get();
        assertThat(first).isGreaterThan(STORE_LIMIT).isLessThanOrEqualTo(STORE_LIMIT + CHUNK);

        // the fast reader moves to the tip, the slow one to just within the ring: the writer
        // follows the slow one, at most the ring ahead of it (the fast one would let it go further)
        readAt(fast, first - 1);
        long slowAt = first - (RING - 1) * CHUNK;
        readAt(slow, slowAt);
        Await.until("the writer waits again", Duration.ofSeconds(5), () -> writer.waiting() && written.get() > first);
        long second = written.get();
        assertThat(second - slowAt).as("ahead of the slow reader").isLessThanOrEqualTo((long) RING * CHUNK);
        assertThat(fill.heldChunks().size()).isLessThanOrEqualTo(RING + 1);

        // the slow reader closing releases the writer, up to the fast one's pace
        long fastAt = second - 1;
        readAt(fast, fastAt);
        slow.close();
        Await.until("the writer waits on the fast reader", Duration.ofSeconds(5),
                () -> writer.waiting() && written.get() > second);
        long third = written.get();
        assertThat(third - fastAt).isLessThanOrEqualTo((long) RING * CHUNK);
        assertThat(third).isLessThan(body.length);

        // the last reader closing stops the copy
        fast.close();
        assertThatThrownBy(writer::get).hasCauseInstanceOf(IOException.class);
        assertThat(written.get()).isEqualTo(third);
        assertThat(fill.ended()).isTrue();
    }

    // ---- helpers ----

    private Fill begin(String key, long length) {
        CachedResponse head = new CachedResponse(key, 200, new String[] {"content-type"}, new String[] {"text/plain"}, 0,
                0, 0, 60_000, 0, 0, 0, length, 0, 0, List.of(), List.of(), 0);
        Fill fill = cache.beginFill(head, length);
        assertThat(fill).as("a fill of %s", key).isNotNull();
        return fill;
    }

    private TieredCache.Hit hit(String key) {
        TieredCache.Lookup found = cache.lookup(key, names -> key);
        assertThat(found).isInstanceOf(TieredCache.Hit.class);
        return (TieredCache.Hit) found;
    }

    private void assertMiss(String key) {
        assertThat(cache.lookup(key, names -> key)).isInstanceOf(TieredCache.Miss.class);
        assertThat(cache.memoryHit(key, names -> key)).isNull();
    }

    private byte[] storedBody(TieredCache.Hit hit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TieredCache.BodyReader chunks = cache.bodyReader(hit.response());
        for (int i = 0; i < TieredCache.chunkCount(hit.response()); i++) {
            out.writeBytes(bytes(chunks.chunk(i)));
        }
        return out.toByteArray();
    }

    /** Distinct bytes at each offset (up to 251), so that a read from a wrong offset shows. */
    static byte[] body(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** Reads from {@code from} to the end of the body (null), however the fill ends. */
    private static byte[] readAll(Fill fill, long from) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        readInto(fill, from, out);
        return out.toByteArray();
    }

    private static void readInto(Fill fill, long from, ByteArrayOutputStream out) throws IOException {
        long pos = from;
        for (ByteBuffer b = fill.read(pos, WAIT); b != null; b = fill.read(pos, WAIT)) {
            assertThat(b.remaining()).isPositive();
            pos += b.remaining();
            out.writeBytes(bytes(b));
        }
    }

    /** Reads from {@code from} up to {@code until} only (bytes already there). */
    private static byte[] readUntil(Fill fill, long from, long until) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long pos = from; pos < until; ) {
            ByteBuffer b = fill.read(pos, WAIT);
            assertThat(b).as("bytes at %d", pos).isNotNull();
            byte[] got = bytes(b);
            int n = (int) Math.min(got.length, until - pos);
            out.write(got, 0, n);
            pos += n;
        }
        return out.toByteArray();
    }

    /** One read by {@code reader} at {@code pos}, which becomes its offset. */
    private static void readAt(Fill.Reader reader, long pos) throws IOException {
        assertThat(reader.read(pos, WAIT)).as("bytes at %d", pos).isNotNull();
    }

    /** A reader reads from {@code from} up to {@code until}; returns where it got to. */
    private static long readInto(Fill.Reader reader, long from, long until, ByteArrayOutputStream out)
            throws IOException {
        long pos = from;
        while (pos < until) {
            ByteBuffer b = reader.read(pos, WAIT);
            assertThat(b).as("bytes at %d", pos).isNotNull();
            byte[] got = bytes(b);
            int n = (int) Math.min(got.length, until - pos);
            out.write(got, 0, n);
            pos += n;
        }
        return pos;
    }

    /** A task on its own platform thread, whose state shows when it waits. */
    record Running<T>(Thread thread, FutureTask<T> task) {

        static <T> Running<T> start(String name, Callable<T> work) {
            FutureTask<T> task = new FutureTask<>(work);
            Thread t = Thread.ofPlatform().name(name).daemon().start(task);
            return new Running<>(t, task);
        }

        /** Parked (on a lock's condition), not running. */
        boolean waiting() {
            Thread.State s = thread.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
        }

        boolean done() {
            return task.isDone();
        }

        /** The task's result; what it threw, as the cause of an {@link ExecutionException}. */
        T get() throws Exception {
            return task.get(10, TimeUnit.SECONDS);
        }
    }
}

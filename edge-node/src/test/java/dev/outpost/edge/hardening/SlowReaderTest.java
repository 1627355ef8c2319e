package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 3: slow readers hold memory. Raw-socket clients ask for cached 4 MiB objects
 * (some in the memory tier, most on disk only) and never read a byte, with a receive buffer of
 * 4 KiB. A node in its own JVM ({@code -Xmx512m}, write timeout 5 s) must cut each of them off
 * at the write timeout, hold no more than its budgets meanwhile (no whole copy of a disk hit per
 * connection), serve another client and {@code /healthz} throughout, and come back to its
 * baseline of heap, direct memory, file descriptors and threads once they are gone. Before the
 * fix, every disk hit was copied whole into direct memory for its connection and a response
 * handed to Undertow's sender waited on its client for ever.
 */
class SlowReaderTest {

    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void fourHundredReadersThatNeverReadAreCutOffAndTheirMemoryComesBack() throws Exception {
        slowReaders(400, 40, "400 slow readers over 40 cached 4 MiB objects", "--cache.memory-size", "64MiB");
    }

    /** Long version: 2,000 readers over 100 objects, the memory tier at its default (256 MiB). */
    @Test
    @Tag("bounds")
    void twoThousandReadersThatNeverRead() throws Exception {
        slowReaders(2000, 100, "2000 slow readers over 100 cached 4 MiB objects",
                "--limits.max-connections-per-client", "4096");
    }

    private void slowReaders(int readers, int objects, String title, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--limits.write-timeout", "5s"));
        args.addAll(List.of(flags));
        try (RangeOrigin origin = new RangeOrigin();
             EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), dir.resolve("data"), List.of("-Xmx512m"),
                     args.toArray(String[]::new)).start()) {
            for (int i = 0; i < objects; i++) {
                EdgeProcess.Checked r = edge.get(path(i));
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.length()).isEqualTo(SIZE);
            }
            edge.get("/other/2048");
            Await.until("every object stored on disk", Duration.ofSeconds(60),
                    () -> edge.metric("outpost_cache_entries", "tier", "disk") >= objects + 1);
            double inMemory = edge.metric("outpost_cache_entries", "tier", "memory");
            double open0 = edge.metric("outpost_connections_open", "listener", "client");
            double timeouts0 = edge.metric("outpost_write_timeouts_total");
            double evictions0 = edge.metric("outpost_cache_evictions_total", "tier", "memory");
            int originRequests0 = origin.requests().size();
            NodeFigures.readAfterGc(edge); // the baseline without the garbage of the fills
            List<Socket> sockets = new ArrayList<>();
            String text;
            try (OtherClient other = new OtherClient(edge, "/other/2048", 2048); NodeFigures figures = NodeFigures.start(edge)) {
                int ok0 = other.ok.get();
                long start = System.nanoTime();
                for (int i = 0; i < readers; i++) {
                    sockets.add(neverReads(edge.port, path(i % objects)));
                }
                double openedAtOnce = edge.metric("outpost_connections_open", "listener", "client") - open0;
                NodeFigures.Reading live = NodeFigures.readAfterGc(edge); // what the readers hold, garbage aside
                double openAtGc = edge.metric("outpost_connections_open", "listener", "client") - open0;
                boolean allCut = within(Duration.ofSeconds(60),
                        () -> edge.metric("outpost_connections_open", "listener", "client") <= open0 + 2);
                double seconds = (System.nanoTime() - start) / 1e9;
                double stillOpen = edge.metric("outpost_connections_open", "listener", "client") - open0;
                int servedWhileOpen = other.ok.get() - ok0;
                int askedWhileOpen = other.ok.get() + other.failures.get();
                Await.until("the other client's next requests, after the crowd", Duration.ofSeconds(30),
                        () -> other.ok.get() + other.failures.get() >= askedWhileOpen + 3);
                double timeouts = edge.metric("outpost_write_timeouts_total") - timeouts0;
                double released = edge.metric("outpost_slow_reader_chunks_released_total");
                double skipped = edge.metric("outpost_cache_promotions_skipped_total");
                double evictions = edge.metric("outpost_cache_evictions_total", "tier", "memory") - evictions0;
                NodeFigures.readAfterGc(edge);
                long ooms = edge.logText().lines().filter(l -> l.contains("OutOfMemoryError")).count();
                text = figures.finish(title, String.format(Locale.ROOT,
                        "%d raw-socket GETs of %d cached %d MiB objects (%.0f in the memory tier), receive buffer 4 KiB, "
                                + "never read (%.0f open at once on the node); %s (write timeout 5 s): outpost_write_timeouts_total %.0f, "
                                + "outpost_slow_reader_chunks_released_total %.0f, outpost_cache_promotions_skipped_total %.0f; "
                                + "memory-tier evictions meanwhile %.0f; live after a forced GC with %.0f readers open: %s; "
                                + "OutOfMemoryError lines in the log: %d; other client: %d answered whole while the readers were open, %s",
                        readers, objects, SIZE >> 20, inMemory, openedAtOnce,
                        allCut ? String.format(Locale.ROOT, "all cut off by the node %.1f s after the first", seconds)
                                : String.format(Locale.ROOT, "%.0f still open %.0f s after the first", stillOpen, seconds),
                        timeouts, released, skipped, evictions, openAtGc, live,
                        ooms, servedWhileOpen, other.stop()));
                assertThat(allCut).as(text).isTrue();
                assertThat(origin.requests().size()).as("every slow reader asked for a stored object: hits only")
                        .isEqualTo(originRequests0);
                assertThat(other.failures.get()).as(text).isZero();
                assertThat(servedWhileOpen).as(text).isPositive();
                assertThat(ooms).as(text).isZero();
                assertThat(timeouts).as(text).isGreaterThanOrEqualTo(readers * 0.9);
                NodeFigures.Reading before = figures.before();
                NodeFigures.Reading peak = figures.peak();
                NodeFigures.Reading after = NodeFigures.read(edge);
                // budgets: 64 MiB of promotions in flight (direct), 64 MiB of disk chunks (heap)
                assertThat(peak.directMiB()).as(text).isLessThan(before.directMiB() + 200);
                // the peak heap is mostly garbage of chunk reads (each reader reads its first chunk);
                // what the readers hold is the live heap with them open
                assertThat(live.heapMiB()).as(text).isLessThan(before.heapMiB() + 128);
                assertThat(live.directMiB()).as(text).isLessThan(before.directMiB() + 64);
                assertThat(after.directMiB()).as(text).isLessThan(before.directMiB() + 70);
                assertThat(after.heapMiB()).as(text).isLessThan(before.heapMiB() + 64);
                assertThat(after.files()).as(text).isLessThan(before.files() + 20);
                assertThat(after.threads()).as(text).isLessThan(before.threads() + 20);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            // the per-address slots came back: as many again are admitted (and cut off) as before
            assertThat(edge.metric("outpost_connections_refused_total", "listener", "client")).as(text).isZero();
            assertThat(edge.get(path(0)).length()).isEqualTo(SIZE);
        }
    }

    /** Whether {@code condition} came true within {@code timeout}. */
    private static boolean within(Duration timeout, java.util.function.BooleanSupplier condition) {
        try {
            Await.until("condition", timeout, condition::getAsBoolean);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    private static String path(int i) {
        return "/slow/" + i + "/" + SIZE;
    }

    /** A connection that sends one GET and never reads, with a small receive buffer. */
    private static Socket neverReads(int port, String path) {
        try {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

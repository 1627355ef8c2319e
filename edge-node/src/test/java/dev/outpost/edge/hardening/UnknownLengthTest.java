package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 1: an origin body of unknown length (chunked, no Content-Length) streams with
 * the memory of a known one. A node in its own JVM ({@code -Xmx512m}, objects over 32 MiB not
 * stored) is sent bodies far larger than its heap; it stores chunk by chunk up to the limit,
 * then abandons the fill and passes the rest through, and stops reading from the origin once
 * nobody reads the body any more. Another client is served throughout.
 */
class UnknownLengthTest {

    private static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    static StreamOrigin origin;
    static EdgeProcess edge;

    @BeforeAll
    static void start() {
        origin = new StreamOrigin();
        edge = EdgeProcess.edge(origin.baseUrl(), dir.resolve("data"), List.of("-Xmx512m"),
                "--cache.disk-max-object", "32MiB").start();
        try {
            edge.get("/length/2048?other"); // stored before the figures start
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Await.until("the small object stored", Duration.ofSeconds(30),
                () -> edge.metric("outpost_cache_entries", "tier", "disk") >= 1);
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    /** One request for an endless-looking body, its client gone at once: the node reads about the object limit and lets go. */
    @Test
    void aClientThatLeavesAtOnceCostsAtMostTheObjectLimit() throws Exception {
        clientLeavesAtOnce(4L << 30, "unknown length, client gone at once");
    }

    /**
     * An uncacheable body relayed to a client that reads 1 MiB of it and leaves: the node closes
     * the origin connection rather than reading on for nobody (OkHttp's close would read the rest
     * for 100 ms to keep the connection, over a hundred MiB from a fast origin).
     */
    @Test
    void aRelayedBodyStopsWhenItsClientLeaves() throws Exception {
        long sent0 = origin.bytesSent.get();
        int cut0 = origin.cut.get();
        try (OtherClient other = new OtherClient(edge, "/length/2048?other", 2048); NodeFigures figures = NodeFigures.start(edge)) {
            try (Socket s = new Socket("127.0.0.1", edge.port)) {
                s.getOutputStream().write(("GET /chunked/" + (4L << 30) + "?no-store HTTP/1.1\r\nHost: example.com\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                s.getInputStream().readNBytes((int) MIB);
            }
            Await.until("the node to stop reading the origin", Duration.ofSeconds(60), () -> origin.cut.get() > cut0);
            long sent = origin.bytesSent.get() - sent0;
            String text = figures.finish("relayed, client gone after 1 MiB", "GET of an uncacheable chunked body of 4096 MiB,"
                    + " 1 MiB read, then the connection closed; origin sent " + sent / MIB + " MiB before the node closed the"
                    + " origin connection; other client: " + other.stop());
            // 1 MiB, what the loopback pipes and the node's buffers hold (a few MiB), and nothing read after
            assertThat(sent).as(text).isLessThan(32 * MIB);
            assertThat(other.failures.get()).as(text).isZero();
        }
    }

    /** A body of unknown length read whole by its client: passed through, not stored, heap flat. */
    @Test
    void aBodyLargerThanTheHeapStreamsThroughWhole() throws Exception {
        readWhole(640 * MIB, "unknown length, 640 MiB read whole");
    }

    @Test
    @Tag("soak")
    void twoGibibytesReadWholeAndSixteenLeftAtOnce() throws Exception {
        readWhole(2048 * MIB, "unknown length, 2 GiB read whole");
        clientLeavesAtOnce(16L << 30, "unknown length, 16 GiB asked for, client gone at once");
    }

    private void clientLeavesAtOnce(long size, String title) throws Exception {
        double abandoned = edge.metric("outpost_fills_abandoned_total");
        long sent0 = origin.bytesSent.get();
        int cut0 = origin.cut.get();
        int started0 = origin.bodiesStarted.get();
        try (OtherClient other = new OtherClient(edge, "/length/2048?other", 2048); NodeFigures figures = NodeFigures.start(edge)) {
            try (Socket s = new Socket("127.0.0.1", edge.port)) {
                OutputStream out = s.getOutputStream();
                out.write(("GET /chunked/" + size + "?leave HTTP/1.1\r\nHost: example.com\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                // gone as soon as its response starts: the fill has begun and goes on for the cache.
                // A client gone before that calls the fetch off (ClientLeavesTest), which is not
                // what this measures
                Await.until("the origin sending the body", Duration.ofSeconds(30),
                        () -> origin.bodiesStarted.get() > started0);
                assertThat(s.getInputStream().read()).as("the response's first byte").isNotNegative();
            }
            Await.until("the node to stop reading the origin", Duration.ofSeconds(120),
                    () -> origin.cut.get() > cut0);
            long sent = origin.bytesSent.get() - sent0;
            String text = figures.finish(title, "GET of a chunked body of " + size / MIB
                    + " MiB, connection closed once the response started; origin sent " + sent / MIB + " MiB before the node"
                    + " closed the origin connection; other client: " + other.stop());
            // the object limit (32 MiB) plus what the loopback pipes and the node's buffers hold
            // when the fill lets go; without the cancel, OkHttp read on for 100 ms and the origin
            // sent 147 to 273 MiB
            assertThat(sent).as(text).isLessThan(64 * MIB);
            assertThat(edge.metric("outpost_fills_abandoned_total")).isEqualTo(abandoned + 1);
            assertThat(figures.peak().heapMiB()).as(text).isLessThan(400);
            assertThat(other.failures.get()).as(text).isZero();
        }
        assertThat(edge.logText()).doesNotContain("OutOfMemoryError");
    }

    private void readWhole(long size, String title) throws Exception {
        double entries = edge.metric("outpost_cache_entries", "tier", "disk");
        try (OtherClient other = new OtherClient(edge, "/length/2048?other", 2048); NodeFigures figures = NodeFigures.start(edge)) {
            EdgeProcess.Checked r = edge.get("/chunked/" + size + "?whole");
            String text = figures.finish(title, "GET of a chunked body of " + size / MIB + " MiB, read whole at once;"
                    + " other client: " + other.stop());
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.length()).as(text).isEqualTo(size);
            assertThat(r.crc()).isEqualTo(StreamOrigin.crcOf(size));
            assertThat(figures.peak().heapMiB()).as(text).isLessThan(400);
            assertThat(other.failures.get()).as(text).isZero();
        }
        assertThat(edge.metric("outpost_cache_entries", "tier", "disk")).as("nothing more stored").isEqualTo(entries);
        assertThat(edge.logText()).doesNotContain("OutOfMemoryError");
    }
}

package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 13: small requests that cost whole objects. HEADs and one-byte ranges of a
 * 50 MiB object, each with its own query string (so each is a miss), used to make the node
 * fetch and store the whole object every time: 10 of each pulled 1,000 MiB from the origin for
 * 10 bytes delivered. A node in its own JVM ({@code -Xmx512m}, default settings: slices of
 * 1 MiB) in front of an origin that honours Range; another client is served throughout.
 */
class SmallRequestsTest {

    private static final long MIB = 1 << 20;
    private static final long SIZE = 50 * MIB;

    @TempDir
    static Path dir;
    static RangeOrigin origin;
    static EdgeProcess edge;
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        origin = new RangeOrigin();
        edge = EdgeProcess.edge(origin.baseUrl(), dir.resolve("data"), List.of("-Xmx512m"),
                "--rules", "[{match: {path-prefix: /keyed/}, cache-key: {query: allow, query-params: [v]}}]").start();
        edge.get("/other/2048"); // stored before the figures start
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

    @Test
    void tenHeadsAndTenOneByteRangesCostOneSliceEachNotTheObject() throws Exception {
        String text = smallRequests(10, "/object/" + SIZE, "10 HEAD + 10 one-byte ranges, 50 MiB object");
        assertThat(text).isNotEmpty();
    }

    /** The rule keeps only {@code v} in the key: junk query strings share one entry and one slice. */
    @Test
    void queryParametersTheKeyLeavesOutShareOneSlice() throws Exception {
        long sent0 = origin.bytesSent.get();
        int before = origin.requests().size();
        for (int i = 0; i < 10; i++) {
            EdgeProcess.Checked r = edge.get("/keyed/object/" + SIZE + "?v=1&junk=" + i, "Range", "bytes=0-0");
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.crc()).isEqualTo(crc(0, 1));
        }
        List<String> reached = origin.requests().subList(before, origin.requests().size());
        assertThat(reached).as("only the first reaches the origin, without the junk parameter")
                .containsExactly("GET /keyed/object/" + SIZE + "?v=1 bytes=0-1048575");
        Await.until("the slice sent", Duration.ofSeconds(30), () -> origin.bytesSent.get() - sent0 >= MIB);
        assertThat(origin.bytesSent.get() - sent0).isEqualTo(MIB);
    }

    /**
     * Whole GETs of the 50 MiB object, each with its own query string, are misses that slices
     * cannot make cheaper: the per-client origin budget ({@code limits.origin-bytes-per-client},
     * 64 MiB here) stops them after the second, while the other client is served.
     */
    @Test
    void wholeObjectMissesStopAtTheClientsOriginBudget() throws Exception {
        try (RangeOrigin own = new RangeOrigin();
             EdgeProcess capped = EdgeProcess.edge(own.baseUrl(), dir.resolve("capped"), List.of("-Xmx512m"),
                     "--limits.origin-bytes-per-client", "64MiB").start()) {
            capped.get("/other/2048");
            int[] statuses = new int[10];
            String text;
            try (OtherClient other = new OtherClient(capped, "/other/2048", 2048); NodeFigures figures = NodeFigures.start(capped)) {
                for (int i = 0; i < 10; i++) {
                    EdgeProcess.Checked r = capped.get("/object/" + SIZE + "?whole=" + i);
                    statuses[i] = r.status();
                    if (r.status() == 200) {
                        assertThat(r.length()).isEqualTo(SIZE);
                    }
                }
                long pulled = own.bytesSent.get() - 2048;
                text = figures.finish("10 whole GETs of 50 MiB, 64 MiB budget", "10 GET of /object/" + SIZE
                        + " from one client, each with its own query string; statuses " + java.util.Arrays.toString(statuses)
                        + "; origin sent " + pulled / MIB + " MiB; outpost_origin_bytes_refused_total "
                        + (long) capped.metric("outpost_origin_bytes_refused_total") + "; other client: " + other.stop());
                assertThat(other.failures.get()).as(text).isZero();
                assertThat(figures.peak().heapMiB()).as(text).isLessThan(400);
            }
            assertThat(statuses).as(text).containsExactly(200, 200, 429, 429, 429, 429, 429, 429, 429, 429);
            assertThat(own.bytesSent.get() - 2048).as(text).isLessThanOrEqualTo(2 * SIZE);
        }
    }

    /** Long version: a hundred of each, and a hundred ten-byte ranges all over the object. */
    @Test
    @Tag("long")
    void aHundredOfEachAndRangesAllOverTheObject() throws Exception {
        smallRequests(100, "/object/" + (2 * SIZE), "100 HEAD + 100 one-byte ranges, 100 MiB object");
        long sent0 = origin.bytesSent.get();
        Random random = new Random(13);
        long size = 2 * SIZE;
        for (int i = 0; i < 100; i++) {
            long first = (long) (random.nextDouble() * (size - 10));
            EdgeProcess.Checked r = edge.get("/object/" + size + "?spread=" + i, "Range", "bytes=" + first + "-" + (first + 9));
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.crc()).isEqualTo(crc(first, 10));
        }
        // one or two slices per range (a range may straddle two), never the object
        assertThat(origin.bytesSent.get() - sent0).isLessThanOrEqualTo(200 * MIB);
    }

    private String smallRequests(int n, String path, String title) throws Exception {
        long sent0 = origin.bytesSent.get();
        double stored0 = edge.metric("outpost_cache_bytes", "tier", "disk");
        double entries0 = edge.metric("outpost_cache_entries", "tier", "disk");
        long dir0 = dirBytes();
        int requests0 = origin.requests().size();
        String text;
        try (OtherClient other = new OtherClient(edge, "/other/2048", 2048); NodeFigures figures = NodeFigures.start(edge)) {
            for (int i = 0; i < n; i++) {
                HttpResponse<Void> head = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port + path
                        + "?head=" + i)).method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60))
                        .build(), HttpResponse.BodyHandlers.discarding());
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.headers().firstValue("Content-Length")).hasValue(path.substring(path.lastIndexOf('/') + 1));
                assertThat(head.headers().firstValue("Cache-Status").orElse("")).contains("fwd=miss").doesNotContain("stored");
            }
            for (int i = 0; i < n; i++) {
                EdgeProcess.Checked r = edge.get(path + "?range=" + i, "Range", "bytes=0-0");
                assertThat(r.status()).isEqualTo(206);
                assertThat(r.length()).isEqualTo(1);
                assertThat(r.crc()).isEqualTo(crc(0, 1));
                assertThat(r.cacheStatus()).contains("fwd=miss; fwd-status=206; stored");
            }
            Await.until("the slices stored", Duration.ofSeconds(60),
                    () -> edge.metric("outpost_cache_entries", "tier", "disk") >= entries0 + n);
            long pulled = origin.bytesSent.get() - sent0;
            double stored = edge.metric("outpost_cache_bytes", "tier", "disk") - stored0;
            long written = dirBytes() - dir0;
            text = figures.finish(title, n + " HEAD and " + n + " GET with Range: bytes=0-0 of " + path
                    + ", each with its own query string; origin sent " + pulled / MIB + " MiB (" + pulled + " bytes) in "
                    + (origin.requests().size() - requests0) + " requests; disk tier +" + String.format("%.1f", stored / MIB)
                    + " MiB stored, data directory +" + written / MIB + " MiB; other client: " + other.stop());
            assertThat(pulled).as(text).isEqualTo(n * MIB);
            assertThat(stored).as(text).isLessThanOrEqualTo(n * MIB + n * 4096);
            assertThat(figures.peak().heapMiB()).as(text).isLessThan(400);
            assertThat(other.failures.get()).as(text).isZero();
        }
        assertThat(edge.logText()).doesNotContain("OutOfMemoryError");
        return text;
    }

    private static long crc(long first, int length) {
        CRC32 crc = new CRC32();
        for (int i = 0; i < length; i++) {
            crc.update(RangeOrigin.byteAt(first + i));
        }
        return crc.getValue();
    }

    private static long dirBytes() {
        try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted meanwhile (a compaction)
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

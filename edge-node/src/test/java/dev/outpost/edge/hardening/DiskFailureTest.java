package dev.outpost.edge.hardening;

import dev.outpost.edge.EdgeProcess;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.outpost.edge.BlobOrigin;
import dev.outpost.edge.EdgeNodeMain;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.cache.DiskTier;
import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.OriginExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * The disk tier when the disk is full or its files are damaged. A full filesystem (a small
 * tmpfs, filled up for real): the node keeps serving from memory and the origin, counts
 * {@code outpost_cache_disk_errors_total}, and stores on disk again once space returns, with
 * its byte count intact. A database damaged while the node was stopped (CURRENT, MANIFEST,
 * table and blob files written by hand): moved aside at start, the node starts empty and says
 * so; damage found later costs one refetch, never a stuck entry. A lock held by another
 * process is not damage: that node is left alone and this one refuses to start.
 */
class DiskFailureTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path tmp;

    static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static void stub(String path, int size, int seed) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=3600").withBody(body(size, seed))));
    }

    private static String cs(HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse("");
    }

    /** Log lines of the disk tier, captured while a test runs. */
    static final class CapturedLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();
        private final Logger logger = (Logger) LoggerFactory.getLogger(DiskTier.class);

        CapturedLog() {
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent e) {
            lines.add(e.getLevel() + " " + e.getFormattedMessage());
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }

    /** Ways a stopped node's database can be found damaged. */
    enum Damage {
        CURRENT_GARBAGE, CURRENT_NAMES_MISSING_MANIFEST, CURRENT_DELETED, MANIFEST_GARBAGE, TABLE_TRUNCATED,
        TABLE_DELETED, TABLE_BLOCK_FLIPPED;

        void apply(Path db) throws IOException {
            List<Path> files;
            try (Stream<Path> s = Files.list(db)) {
                files = s.sorted().toList();
            }
            List<Path> tables = files.stream().filter(p -> p.toString().endsWith(".sst")).toList();
            Path manifest = files.stream().filter(p -> p.getFileName().toString().startsWith("MANIFEST")).findFirst()
                    .orElseThrow();
            Path biggest = tables.stream().max(Comparator.comparingLong(DiskFailureTest::size)).orElseThrow();
            switch (this) {
                case CURRENT_GARBAGE -> Files.write(db.resolve("CURRENT"), new byte[] {1, 2, 3, 4});
                case CURRENT_NAMES_MISSING_MANIFEST -> Files.writeString(db.resolve("CURRENT"), "MANIFEST-999999\n");
                case CURRENT_DELETED -> Files.delete(db.resolve("CURRENT"));
                case MANIFEST_GARBAGE -> Files.writeString(manifest, "not a manifest ".repeat(40));
                case TABLE_TRUNCATED -> {
                    try (FileChannel c = FileChannel.open(biggest, StandardOpenOption.WRITE)) {
                        c.truncate(100);
                    }
                }
                case TABLE_DELETED -> Files.delete(biggest);
                case TABLE_BLOCK_FLIPPED -> {
                    // same size, so the open's size checks pass: the first data block of every
                    // table fails its checksum when read
                    for (Path t : tables) {
                        flip(t, 20, 40);
                    }
                }
            }
        }
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void flip(Path file, long from, int count) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(count);
            c.read(b, from);
            for (int i = 0; i < count; i++) {
                b.put(i, (byte) (b.get(i) ^ 0x5A));
            }
            c.write(b.flip(), from);
        }
    }

    static List<Path> aside(Path dataDir) throws IOException {
        try (Stream<Path> s = Files.list(dataDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("cache.corrupt-")).toList();
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedDatabaseIsMovedAsideAndTheNodeStartsEmpty(Damage damage) throws Exception {
        String small = "/damage/" + damage + "/small";
        String large = "/damage/" + damage + "/large";
        stub(small, 20_000, 1);
        stub(large, 600_000, 2);
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-max-object: 64KiB, chunk-size: 64KiB}").start()) {
            edge.getBytes(small);
            edge.getBytes(large);
            edge.stop();
            damage.apply(edge.dataDir().resolve("cache"));
            try (CapturedLog log = new CapturedLog()) {
                edge.restart();
                assertThat(log.lines).as("the log of a start on a damaged database").anyMatch(l ->
                        l.startsWith("ERROR") && l.contains("cannot be opened") && l.contains("moved aside to")
                                && l.contains("starting with an empty disk tier"));
            }
            assertThat(aside(edge.dataDir())).as("the damaged database, kept for inspection").hasSize(1);
            HttpResponse<byte[]> s = edge.getBytes(small);
            HttpResponse<byte[]> l = edge.getBytes(large);
            assertThat(s.body()).isEqualTo(body(20_000, 1));
            assertThat(l.body()).isEqualTo(body(600_000, 2));
            assertThat(cs(s)).contains("fwd=miss");
            assertThat(cs(l)).contains("fwd=miss");
            origin.verify(2, getRequestedFor(urlPathEqualTo(small)));
            origin.verify(2, getRequestedFor(urlPathEqualTo(large)));
            edge.restart();
            assertThat(cs(edge.getBytes(large))).as("the new database works across restarts").startsWith("edge-test; hit");
            assertThat(aside(edge.dataDir())).hasSize(1);
        }
    }

    /** Blob files (chunk bodies) damaged while stopped: found at the first read, dropped, fetched once, stored again. */
    @Test
    void aDamagedBlobFileCostsOneRefetchNotAStuckEntry() throws Exception {
        stub("/blob/small", 200_000, 3);
        stub("/blob/large", 2_000_000, 4);
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-max-object: 1MiB, chunk-size: 64KiB}").start()) {
            edge.getBytes("/blob/small");
            edge.getBytes("/blob/large");
            edge.stop();
            List<Path> blobs;
            try (Stream<Path> s = Files.list(edge.dataDir().resolve("cache"))) {
                blobs = s.filter(p -> p.toString().endsWith(".blob")).toList();
            }
            assertThat(blobs).isNotEmpty();
            for (Path b : blobs) {
                flip(b, 0, 64);
                flip(b, size(b) / 2, 64);
            }
            edge.restart();
            // small: read whole before anything is sent, so the first request is already a clean refetch
            HttpResponse<byte[]> s = edge.getBytes("/blob/small");
            assertThat(s.body()).isEqualTo(body(200_000, 3));
            assertThat(cs(s)).contains("fwd=miss");
            // large: streamed from disk, so the first request is cut off once the damage shows
            // (on a raw socket: an HTTP client would quietly retry it); never more than once
            Wire.Response first = Wire.get(edge.port(), "GET", "/blob/large", "127.0.0.1:" + edge.port());
            assertThat(first.status() == -1 || first.status() == 502 || !first.complete())
                    .as("a damaged object is never delivered whole: %s", first.raw().lines().findFirst().orElse("")).isTrue();
            HttpResponse<byte[]> l = edge.getBytes("/blob/large");
            assertThat(l.body()).isEqualTo(body(2_000_000, 4));
            assertThat(cs(l)).contains("fwd=miss");
            assertThat(edge.metric("outpost_cache_corrupt_total")).isEqualTo(2.0);
            assertThat(edge.metric("outpost_cache_disk_errors_total")).as("damage is not a failing disk").isZero();
            edge.restart();
            assertThat(cs(edge.getBytes("/blob/small"))).as("stored on disk again").startsWith("edge-test; hit");
            assertThat(cs(edge.getBytes("/blob/large"))).startsWith("edge-test; hit");
            origin.verify(2, getRequestedFor(urlPathEqualTo("/blob/small")));
            origin.verify(2, getRequestedFor(urlPathEqualTo("/blob/large")));
        }
    }

    /** A second node pointed at a data directory in use: it refuses to start, and moves nothing. */
    @Test
    void aLockHeldByAnotherProcessIsNotMistakenForDamage() throws Exception {
        stub("/lock/a", 10_000, 5);
        Path data = Files.createDirectories(tmp.resolve("shared"));
        try (EdgeProcess owner = EdgeProcess.edge(origin.baseUrl(), data, List.of("-Xmx128m")).start()) {
            assertThat(owner.get("/lock/a").status()).isEqualTo(200);

            assertThatThrownBy(() -> TestEdge.withOrigin(origin.baseUrl()).dataDir(data).start())
                    .hasMessageContaining("cannot open disk cache").hasMessageContaining("lock");
            Path log = tmp.resolve("second.log");
            ChildJvm second = ChildJvm.start(EdgeNodeMain.class, log, List.of("-Xmx128m"), "--origin", origin.baseUrl(),
                    "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-dir", data.toString());
            assertThat(second.waitFor(Duration.ofSeconds(60))).as("exit code of the second node").isEqualTo(1);
            assertThat(second.logText()).contains("edge-node: cannot start: cannot open disk cache").contains("lock");

            assertThat(aside(data)).as("nothing moved aside").isEmpty();
            EdgeProcess.Checked again = owner.get("/lock/a");
            assertThat(again.hit()).as("the owner still serves its cache: " + again.cacheStatus()).isTrue();
            origin.verify(1, getRequestedFor(urlPathEqualTo("/lock/a")));
        }
    }

    /**
     * A real full filesystem: the data directory on a 256 MiB tmpfs, filled to the last byte
     * by a ballast file while the node runs. Needs root (mount); skipped with a note otherwise.
     */
    @Test
    void aFullDiskKeepsTheNodeServingAndItStoresAgainWhenSpaceReturns() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("tmpfs"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", mnt.toString()) == 0,
                "skipped: mounting a tmpfs needs root (run the test suite as root to include the full-disk test)");
        try (BlobOrigin blobs = new BlobOrigin()) {
            Path data = mnt.resolve("data");
            TestEdge edge = TestEdge.withOrigin(blobs.baseUrl()).dataDir(data)
                    .yaml("cache: {memory-size: 32MiB, memory-max-object: 256KiB, disk-size: 4GiB, chunk-size: 256KiB}")
                    .start();
            try {
                // stored before the disk fills: one in both tiers, one on disk only
                assertThat(crcGet(edge, "/blob/100000/1")).isTrue();
                assertThat(crcGet(edge, "/blob/3000000/2")).isTrue();
                assertThat(cs(edge.getBytes("/blob/3000000/2"))).startsWith("edge-test; hit");

                Path ballast = mnt.resolve("ballast");
                fillUp(ballast);
                long seed = 100;
                int served = 0;
                // RocksDB takes writes into preallocated WAL space and its memtables (two of 64 MiB)
                // before a write must reach the full filesystem: allow twice the filesystem's size
                while (!(edge.metric("outpost_cache_disk_errors_total") > 0)) {
                    assertThat(served).as("disk errors after writing %d MiB to a full disk", served * 4).isLessThan(128);
                    assertThat(crcGet(edge, "/blob/" + (4 << 20) + "/" + seed++)).as("a new object while the disk fills").isTrue();
                    served++;
                }
                double errors = edge.metric("outpost_cache_disk_errors_total");
                // the node keeps serving: new objects from the origin (small ones kept in memory),
                // and what it stored before, from memory and from disk
                for (int i = 0; i < 5; i++) {
                    assertThat(crcGet(edge, "/blob/" + (1 << 20) + "/" + seed++)).isTrue();
                    assertThat(crcGet(edge, "/blob/50000/" + (1000 + i))).isTrue();
                    assertThat(cs(edge.getBytes("/blob/50000/" + (1000 + i)))).startsWith("edge-test; hit");
                }
                assertThat(cs(edge.getBytes("/blob/100000/1"))).startsWith("edge-test; hit");
                HttpResponse<byte[]> old = edge.getBytes("/blob/3000000/2");
                assertThat(cs(old)).startsWith("edge-test; hit");
                assertThat(crc(old.body())).isEqualTo(BlobOrigin.crcOf(3000000, 2));
                assertThat(edge.metric("outpost_cache_disk_errors_total")).isGreaterThanOrEqualTo(errors);

                // space returns: RocksDB resumes by itself once it has room for a write buffer,
                // and the node stops skipping the disk once its pause (node clock) is over
                Files.delete(ballast);
                long entriesBefore = edge.node().cache().diskEntries();
                long[] probe = {5000, 0};
                Await.until("a new object stored on disk again", Duration.ofSeconds(60), () -> {
                    if (System.nanoTime() - probe[1] < 250_000_000L) {
                        return false; // a probe every quarter second is plenty
                    }
                    probe[1] = System.nanoTime();
                    edge.clock().advanceSeconds(6);
                    String path = "/blob/300000/" + probe[0]++;
                    assertThat(crcGet(edge, path)).as("served while the disk recovers").isTrue();
                    return edge.node().cache().diskEntries() > entriesBefore;
                });
                String storedAgain = "/blob/300000/" + (probe[0] - 1);
                assertThat(cs(edge.getBytes(storedAgain))).startsWith("edge-test; hit");
                System.out.printf("full disk: %d objects (4 MiB) served before the first disk error, %.0f disk errors "
                        + "counted, stored on disk again after %d probes%n", served, edge.metric("outpost_cache_disk_errors_total"),
                        probe[0] - 5000);

                // nothing leaked: the bytes the tier counts are those a restart finds stored
                edge.node().cache().cleanUp();
                double counted = edge.metric("outpost_cache_bytes", "tier", "disk");
                long entries = edge.node().cache().diskEntries();
                edge.restart();
                assertThat(edge.node().cache().diskEntries()).isEqualTo(entries);
                assertThat(edge.metric("outpost_cache_bytes", "tier", "disk")).as("disk bytes after a restart's recount")
                        .isEqualTo(counted);
                assertThat(cs(edge.getBytes(storedAgain))).startsWith("edge-test; hit");
                assertThat(cs(edge.getBytes("/blob/3000000/2"))).startsWith("edge-test; hit");
            } finally {
                edge.close();
            }
        } finally {
            if (run("umount", mnt.toString()) != 0) {
                run("umount", "-l", mnt.toString());
            }
        }
    }

    private static boolean crcGet(TestEdge edge, String path) {
        String[] p = path.split("/");
        HttpResponse<byte[]> r = edge.getBytes(path);
        return r.statusCode() == 200 && crc(r.body()) == BlobOrigin.crcOf(Long.parseLong(p[2]), Long.parseLong(p[3]));
    }

    private static long crc(byte[] b) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(b);
        return c.getValue();
    }

    private static void fillUp(Path ballast) throws IOException {
        byte[] mib = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(ballast)) {
            while (true) {
                out.write(mib);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        // the last partial megabyte, byte by byte is too slow: halve until nothing fits
        try (OutputStream out = Files.newOutputStream(ballast, StandardOpenOption.APPEND)) {
            for (int n = 1 << 19; n > 0; n >>= 1) {
                try {
                    out.write(new byte[n]);
                    out.flush();
                } catch (IOException full) {
                    // try a smaller piece
                }
            }
        } catch (IOException ignored) {
            // full
        }
    }

    /** Runs a command to its end (30 s at most); its exit code, or -1 when it cannot run. */
    static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}

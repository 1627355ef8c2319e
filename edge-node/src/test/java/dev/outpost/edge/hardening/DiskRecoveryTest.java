package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.edge.BlobOrigin;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import java.time.Duration;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk tier whose directory stops taking writes while the node serves, then takes them
 * again, comes back by itself. The directory and every file in it are made immutable
 * ({@code chattr +i}): unlike {@code chmod}, that stops root too (the tests run as root), and
 * unlike remounting the filesystem read-only it works while RocksDB holds files open for
 * writing (a remount then fails with "busy"). RocksDB's next flush cannot create its table
 * file, and RocksDB then refuses every write until the database is opened again (it resumes by
 * itself only after retryable errors such as a full disk). The node keeps serving from memory
 * and the origin, says {@code failing} in /stats and /healthz, and once the directory takes
 * writes again its retries (backoff on the node's clock) reopen the database.
 */
class DiskRecoveryTest {

    @TempDir
    Path tmp;

    @Test
    void aDiskTierThatStoppedTakingWritesComesBackWhenTheDirectoryDoes() throws Exception {
        run(8);
    }

    /** The same, three times over on one node: each outage ends in a recovery. */
    @Test
    @Tag("long")
    void repeatedOutagesEachEndInARecovery() throws Exception {
        run(8, 8, 8);
    }

    private void run(int... outages) throws Exception {
        Path data = tmp.resolve("data");
        try (BlobOrigin blobs = new BlobOrigin();
             TestEdge edge = TestEdge.withOrigin(blobs.baseUrl()).dataDir(data)
                     .yaml("cache: {memory-size: 32MiB, memory-max-object: 256KiB, disk-size: 4GiB, chunk-size: 256KiB}")
                     .start()) {
            Path cache = data.resolve("cache");
            Assumptions.assumeTrue(chattr("+i", cache) == 0, "skipped: chattr +i needs root and a filesystem that supports it");
            chattr("-i", cache);
            assertThat(crcGet(edge, "/blob/3000000/2")).isTrue();
            assertThat(cs(edge.getBytes("/blob/3000000/2"))).startsWith("edge-test; hit");
            long seed = 100;
            int round = 0;
            for (int ignored : outages) {
                round++;
                try {
                    assertThat(chattr("+i", cache)).isZero();
                    int served = 0;
                    while (!(edge.metric("outpost_cache_disk_errors_total") > 0 && disk(edge).path("state").asText().equals("failing"))) {
                        assertThat(served).as("disk errors after writing %d MiB to a read-only directory", served * 4)
                                .isLessThan(100);
                        assertThat(crcGet(edge, "/blob/" + (4 << 20) + "/" + seed++)).as("served while the disk fails").isTrue();
                        served++;
                    }
                    // serving goes on: stored objects from disk, new ones from the origin
                    assertThat(cs(edge.getBytes("/blob/3000000/2"))).startsWith("edge-test; hit");
                    for (int i = 0; i < 3; i++) {
                        assertThat(crcGet(edge, "/blob/" + (1 << 20) + "/" + seed++)).isTrue();
                    }
                    assertThat(stats(edge).path("tiers").path("disk").path("state").asText()).isEqualTo("failing");
                    assertThat(edge.metric("outpost_cache_disk_up")).isEqualTo(0.0);
                    // a retry while the directory still refuses writes fails (and backs off)
                    edge.clock().advanceSeconds(61);
                    Await.until("a recovery attempt refused by the filesystem", Duration.ofSeconds(10),
                            () -> disk(edge).path("last-error").asText().contains("filesystem refuses writes"));
                    assertThat(edge.metric("outpost_cache_disk_up")).isEqualTo(0.0);
                    System.out.printf("read-only disk, round %d: %d objects (4 MiB) before the first disk error%n", round, served);
                } finally {
                    chattr("-i", cache);
                }
                long entriesBefore = edge.node().cache().diskEntries();
                double recoveriesBefore = edge.metric("outpost_cache_disk_recoveries_total");
                // the next attempt (at most a minute later on the node's clock) finds the disk writable
                edge.clock().advanceSeconds(61);
                Await.until("the disk tier takes writes again", Duration.ofSeconds(30),
                        () -> edge.metric("outpost_cache_disk_up") == 1.0);
                String storedAgain = "/blob/300000/" + seed++;
                assertThat(crcGet(edge, storedAgain)).isTrue();
                Await.until("a new object stored on disk", Duration.ofSeconds(10),
                        () -> edge.node().cache().diskEntries() > entriesBefore);
                assertThat(cs(edge.getBytes(storedAgain))).startsWith("edge-test; hit");
                assertThat(edge.metric("outpost_cache_disk_recoveries_total")).isGreaterThan(recoveriesBefore);
                assertThat(disk(edge).path("state").asText()).isEqualTo("ok");
                assertThat(disk(edge).path("recoveries").asLong()).isEqualTo(round);
                System.out.printf("read-only disk, round %d: recovered; %s%n", round, disk(edge));
            }
            // nothing leaked: what the tier counts is what a restart finds stored
            edge.node().cache().cleanUp();
            long entries = edge.node().cache().diskEntries();
            double counted = edge.metric("outpost_cache_bytes", "tier", "disk");
            edge.restart();
            assertThat(edge.node().cache().diskEntries()).isEqualTo(entries);
            assertThat(edge.metric("outpost_cache_bytes", "tier", "disk")).isEqualTo(counted);
            assertThat(cs(edge.getBytes("/blob/3000000/2"))).startsWith("edge-test; hit");
        } finally {
            chattr("-i", data.resolve("cache"));
        }
    }

    private static JsonNode disk(TestEdge edge) {
        return json(edge.admin("/healthz").body()).path("disk");
    }

    private static JsonNode stats(TestEdge edge) {
        return json(edge.admin("/stats").body());
    }

    private static JsonNode json(String text) {
        try {
            return OutpostJson.json().readTree(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String cs(HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse("");
    }

    private static boolean crcGet(TestEdge edge, String path) {
        String[] p = path.split("/");
        HttpResponse<byte[]> r = edge.getBytes(path);
        CRC32 c = new CRC32();
        c.update(r.body());
        return r.statusCode() == 200 && c.getValue() == BlobOrigin.crcOf(Long.parseLong(p[2]), Long.parseLong(p[3]));
    }

    /** {@code chattr -R} on a directory and everything in it; the exit code (-1 when it cannot run). */
    private static int chattr(String flag, Path dir) {
        return Files.isDirectory(dir) ? DiskFailureTest.run("chattr", "-R", flag, dir.toString()) : -1;
    }
}

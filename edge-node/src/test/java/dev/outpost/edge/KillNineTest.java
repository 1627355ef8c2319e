package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of a node in the middle of a fill: what was fully stored survives, nothing partial is served. */
class KillNineTest {

    @TempDir
    Path tmp;

    @Test
    void killDuringFillKeepsCompleteObjectsAndDropsThePartialOne() throws Exception {
        try (BlobOrigin origin = new BlobOrigin();
             EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), Files.createDirectories(tmp.resolve("data")), List.of("-Xmx256m"),
                     "--cache.chunk-size", "64KiB", "--cache.memory-max-object", "256KiB")) {
            edge.start();
            assertThat(edge.get("/blob/100000/1").status()).isEqualTo(200);
            assertThat(edge.get("/blob/3000000/2").status()).isEqualTo(200);

            origin.holdAfter(1_500_000);
            CompletableFuture<EdgeProcess.Checked> partial = CompletableFuture.supplyAsync(() -> {
                try {
                    return edge.get("/blob/5000000/3");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThat(origin.awaitHeld(30, TimeUnit.SECONDS)).isTrue();
            // the fill has begun once the disk tier counts its reservation (written after its pending mark)
            dev.outpost.testing.Await.until("fill under way", java.time.Duration.ofSeconds(30),
                    () -> edge.metric("outpost_cache_bytes", "tier", "disk") > 5_000_000);
            edge.kill();
            origin.release();
            assertThat(partial.handle((r, e) -> e != null || r.length() < 5_000_000).get(30, TimeUnit.SECONDS)).isTrue();

            edge.start();
            assertThat(edge.logText()).contains("dropped 1 partial fills");
            EdgeProcess.Checked small = edge.get("/blob/100000/1");
            EdgeProcess.Checked large = edge.get("/blob/3000000/2");
            assertThat(small.cacheStatus()).startsWith("edge-child; hit");
            assertThat(large.cacheStatus()).startsWith("edge-child; hit");
            assertThat(small.crc()).isEqualTo(BlobOrigin.crcOf(100000, 1));
            assertThat(large.crc()).isEqualTo(BlobOrigin.crcOf(3000000, 2));
            assertThat(Long.parseLong(small.age())).isGreaterThanOrEqualTo(0);

            EdgeProcess.Checked refetched = edge.get("/blob/5000000/3");
            assertThat(refetched.cacheStatus()).contains("fwd=miss");
            assertThat(refetched.length()).isEqualTo(5_000_000);
            assertThat(refetched.crc()).isEqualTo(BlobOrigin.crcOf(5000000, 3));
            assertThat(origin.requests("/blob/5000000/3")).isEqualTo(2);
            assertThat(origin.requests("/blob/100000/1")).isEqualTo(1);
            assertThat(origin.requests("/blob/3000000/2")).isEqualTo(1);
        }
    }
}

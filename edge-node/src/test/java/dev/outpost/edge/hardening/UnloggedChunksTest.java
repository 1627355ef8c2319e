package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.Await;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks past the first 8 MiB of a body skip RocksDB's write-ahead log (the disk tier's
 * {@code LOGGED_BYTES}), which is safe only because a fill's commit flushes them to their blob
 * files first. A node killed with -9 right after storing a 48 MiB object (less than one
 * memtable, so nothing else flushed it) serves it whole from disk after the restart; one killed
 * in the middle of such a fill serves nothing of it and fetches it again whole.
 */
class UnloggedChunksTest {

    private static final long MIB = 1 << 20;
    private static final long SIZE = 48 * MIB;

    @TempDir
    Path dir;

    @Test
    void aLargeObjectStoredJustBeforeKillNineIsWholeAfterTheRestart() throws Exception {
        try (StreamOrigin origin = new StreamOrigin()) {
            EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), dir.resolve("data"), List.of("-Xmx512m")).start();
            try {
                EdgeProcess.Checked first = edge.get("/length/" + SIZE);
                assertThat(first.status()).isEqualTo(200);
                assertThat(first.crc()).isEqualTo(StreamOrigin.crcOf(SIZE));
                Await.until("the object committed", Duration.ofSeconds(60),
                        () -> edge.metric("outpost_cache_entries", "tier", "disk") >= 1);
                edge.kill();
                edge.start();
                EdgeProcess.Checked again = edge.get("/length/" + SIZE);
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.hit()).as(again.cacheStatus()).isTrue();
                assertThat(again.length()).isEqualTo(SIZE);
                assertThat(again.crc()).as("every chunk past the logged part survived the kill").isEqualTo(StreamOrigin.crcOf(SIZE));
                assertThat(origin.requests("/length/")).isEqualTo(1);
            } finally {
                edge.close();
            }
        }
    }

    @Test
    void aLargeFillKilledMidwayIsNotServedAndIsFetchedAgainWhole() throws Exception {
        try (StreamOrigin origin = new StreamOrigin()) {
            EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), dir.resolve("data"), List.of("-Xmx512m")).start();
            try {
                try (Socket s = new Socket("127.0.0.1", edge.port)) {
                    s.getOutputStream().write(("GET /length/" + SIZE + " HTTP/1.1\r\nHost: example.com\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    InputStream in = s.getInputStream();
                    in.readNBytes((int) (24 * MIB)); // past the logged part: unlogged chunks are in the memtable
                    edge.kill();
                }
                edge.start();
                assertThat(edge.metric("outpost_cache_entries", "tier", "disk")).isZero();
                EdgeProcess.Checked again = edge.get("/length/" + SIZE);
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.cacheStatus()).contains("fwd=miss");
                assertThat(again.crc()).isEqualTo(StreamOrigin.crcOf(SIZE));
                assertThat(origin.requests("/length/")).isEqualTo(2);
                Await.until("the object committed", Duration.ofSeconds(60),
                        () -> edge.metric("outpost_cache_entries", "tier", "disk") >= 1);
                assertThat(edge.get("/length/" + SIZE).hit()).isTrue();
            } finally {
                edge.close();
            }
        }
    }
}

package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.cache.DiskSurgery;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The disk tier: its byte bound, restarts, and damaged entries never served. */
class DiskTierTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    private static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static void stub(String path, int size, int seed) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=3600")
                .withHeader("ETag", "\"" + seed + "\"").withBody(body(size, seed))));
    }

    @Test
    void evictionHoldsTheByteBound() {
        for (int i = 0; i < 60; i++) {
            stub("/e/" + i, 64 * 1024, i);
        }
        long bound = 1024 * 1024;
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-size: 1MiB, memory-max-object: 4KiB, disk-size: 1MiB, chunk-size: 16KiB}").start()) {
            for (int i = 0; i < 60; i++) {
                assertThat(edge.getBytes("/e/" + i).statusCode()).isEqualTo(200);
                edge.node().cache().evictNow();
                assertThat(edge.node().cache().diskBytes()).as("disk bytes after object %d", i).isLessThanOrEqualTo(bound);
            }
            assertThat(edge.metric("outpost_cache_evictions_total", "tier", "disk")).isGreaterThan(40);
            assertThat(edge.node().cache().diskEntries()).isBetween(5L, 16L);
            // the most recent object is still stored, the first long gone
            assertThat(edge.getBytes("/e/59").headers().firstValue("Cache-Status").orElseThrow()).contains("hit");
            assertThat(edge.getBytes("/e/0").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            assertThat(edge.metric("outpost_cache_bytes", "tier", "disk")).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void restartServesStoredObjectsWithCorrectAge() {
        stub("/r/1", 10_000, 1);
        stub("/r/2", 700_000, 2);
        TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("cache: {chunk-size: 64KiB}").start();
        try {
            edge.getBytes("/r/1");
            edge.getBytes("/r/2");
            edge.clock().advanceSeconds(100);
            edge.restart();
            HttpResponse<byte[]> one = edge.getBytes("/r/1");
            HttpResponse<byte[]> two = edge.getBytes("/r/2");
            assertThat(one.body()).isEqualTo(body(10_000, 1));
            assertThat(two.body()).isEqualTo(body(700_000, 2));
            assertThat(one.headers().firstValue("Age")).hasValue("100");
            assertThat(one.headers().firstValue("Cache-Status")).hasValue("edge-test; hit; ttl=3500");
            assertThat(two.headers().firstValue("Cache-Status")).hasValue("edge-test; hit; ttl=3500");
            assertThat(edge.metric("outpost_requests_total", "cache", "hit", "tier", "disk")).isEqualTo(2.0);
            origin.verify(1, getRequestedFor(urlEqualTo("/r/1")));
            origin.verify(1, getRequestedFor(urlEqualTo("/r/2")));
        } finally {
            edge.close();
        }
    }

    @Test
    void corruptedChunkIsDetectedDroppedAndRefetched() throws Exception {
        stub("/c/1", 200_000, 3);
        TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("cache: {chunk-size: 64KiB}").start();
        try {
            edge.getBytes("/c/1");
            edge.stop();
            String key = DiskSurgery.keys(edge.dataDir()).stream().filter(k -> urlPart(k).endsWith("/c/1")).findFirst().orElseThrow();
            DiskSurgery.corruptChunk(edge.dataDir(), key, 1);
            edge.restart();
            HttpResponse<byte[]> r = edge.getBytes("/c/1");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(body(200_000, 3));
            assertThat(r.headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            assertThat(edge.metric("outpost_cache_corrupt_total")).isEqualTo(1.0);
            origin.verify(2, getRequestedFor(urlEqualTo("/c/1")));
            HttpResponse<byte[]> again = edge.getBytes("/c/1");
            assertThat(again.body()).isEqualTo(body(200_000, 3));
            assertThat(again.headers().firstValue("Cache-Status").orElseThrow()).contains("hit");
        } finally {
            edge.close();
        }
    }

    @Test
    void corruptedLargeObjectChunkIsNeverServedAsWhole() throws Exception {
        stub("/c/big", 6 * 1024 * 1024, 4);
        TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {chunk-size: 256KiB, memory-max-object: 1MiB}").start();
        try {
            edge.getBytes("/c/big");
            edge.stop();
            String key = DiskSurgery.keys(edge.dataDir()).stream().filter(k -> urlPart(k).endsWith("/c/big")).findFirst().orElseThrow();
            DiskSurgery.corruptChunk(edge.dataDir(), key, 20);
            edge.restart();
            // headers and the first chunks are already on their way when chunk 20 fails: the
            // response must be cut off, never completed with wrong bytes
            boolean failed;
            try {
                HttpResponse<byte[]> r = edge.getBytes("/c/big");
                failed = !Arrays.equals(r.body(), body(6 * 1024 * 1024, 4)) && r.body().length < 6 * 1024 * 1024;
                assertThat(r.body().length).as("a corrupt object is never delivered whole").isLessThan(6 * 1024 * 1024);
            } catch (java.io.UncheckedIOException e) {
                failed = true;
            }
            assertThat(failed).isTrue();
            assertThat(edge.metric("outpost_cache_corrupt_total")).isEqualTo(1.0);
            HttpResponse<byte[]> again = edge.getBytes("/c/big");
            assertThat(again.body()).isEqualTo(body(6 * 1024 * 1024, 4));
            origin.verify(2, getRequestedFor(urlEqualTo("/c/big")));
        } finally {
            edge.close();
        }
    }

    /** A stored key without its extra parts (the scheme, keyed headers). */
    private static String urlPart(String key) {
        int extra = key.indexOf(dev.outpost.edge.cache.TieredCache.EXTRA);
        return extra < 0 ? key : key.substring(0, extra);
    }
}

package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The memory tier over the disk tier: eviction from memory leaves disk hits; size limits per tier. */
class TwoTierTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    private static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) ('a' + seed % 26));
        return b;
    }

    @BeforeEach
    void stubs() {
        for (int i = 0; i < 20; i++) {
            origin.stubFor(get("/obj/" + i).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                    .withBody(body(100 * 1024, i))));
        }
        origin.stubFor(get("/big").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(body(3 * 1024 * 1024, 7))));
        origin.stubFor(get("/huge").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(body(6 * 1024 * 1024, 9))));
    }

    @Test
    void objectEvictedFromMemoryIsServedFromDisk() {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-size: 512KiB, memory-max-object: 256KiB, disk-size: 64MiB}").start()) {
            for (int i = 0; i < 20; i++) {
                assertThat(edge.getBytes("/obj/" + i).statusCode()).isEqualTo(200);
            }
            // a client has the whole body before the fill is stored: wait for the last store
            dev.outpost.testing.Await.until("all 20 stored on disk", java.time.Duration.ofSeconds(10),
                    () -> edge.node().cache().diskEntries() == 20);
            edge.node().cache().cleanUp();
            assertThat(edge.node().cache().memoryBytes()).isLessThanOrEqualTo(512 * 1024);
            assertThat(edge.node().cache().diskEntries()).isEqualTo(20);
            int fromDisk = 0;
            for (int i = 0; i < 20; i++) {
                HttpResponse<byte[]> r = edge.getBytes("/obj/" + i);
                assertThat(r.body()).isEqualTo(body(100 * 1024, i));
                assertThat(r.headers().firstValue("Cache-Status").orElseThrow()).startsWith("edge-test; hit");
                edge.node().cache().cleanUp();
            }
            fromDisk = (int) edge.metric("outpost_requests_total", "cache", "hit", "tier", "disk");
            assertThat(fromDisk).as("hits answered by the disk tier").isGreaterThan(0);
            origin.verify(20, getRequestedFor(urlPathMatching("/obj/.*")));
            assertThat(edge.metric("outpost_cache_evictions_total", "tier", "memory")).isGreaterThan(0);
        }
    }

    @Test
    void anObjectTheDiskTierEvictsLeavesMemoryToo() {
        // memory could hold all 20 objects, the disk tier 5: the disk tier bounds what the node holds
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-size: 8MiB, memory-max-object: 1MiB, disk-size: 520KiB}").start()) {
            for (int i = 0; i < 20; i++) {
                assertThat(edge.getBytes("/obj/" + i).statusCode()).isEqualTo(200);
                int stored = i + 1;
                dev.outpost.testing.Await.until("object stored", java.time.Duration.ofSeconds(10),
                        () -> edge.node().cache().diskEntries() >= Math.min(stored, 5));
            }
            edge.node().cache().evictNow();
            edge.node().cache().cleanUp();
            long onDisk = edge.node().cache().diskEntries();
            assertThat(onDisk).isBetween(1L, 5L);
            assertThat(edge.node().cache().memoryEntries()).as("memory holds copies of what disk keeps").isLessThanOrEqualTo(onDisk);
            HttpResponse<byte[]> again = edge.getBytes("/obj/0"); // the oldest: evicted from disk
            assertThat(again.body()).isEqualTo(body(100 * 1024, 0));
            assertThat(again.headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            origin.verify(2, getRequestedFor(urlEqualTo("/obj/0")));
            HttpResponse<byte[]> kept = edge.getBytes("/obj/19"); // the newest: on disk and in memory
            assertThat(kept.headers().firstValue("Cache-Status").orElseThrow()).startsWith("edge-test; hit");
            origin.verify(1, getRequestedFor(urlEqualTo("/obj/19")));
        }
    }

    @Test
    void objectLargerThanMemoryLimitIsServedFromDiskOnly() {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-size: 8MiB, memory-max-object: 1MiB, disk-size: 64MiB, chunk-size: 64KiB}").start()) {
            assertThat(edge.getBytes("/big").statusCode()).isEqualTo(200);
            // the client has every byte before the fill finishes storing them
            dev.outpost.testing.Await.until("stored on disk", java.time.Duration.ofSeconds(10),
                    () -> edge.node().cache().diskEntries() == 1);
            HttpResponse<byte[]> hit = edge.getBytes("/big");
            assertThat(hit.body()).isEqualTo(body(3 * 1024 * 1024, 7));
            assertThat(hit.headers().firstValue("Cache-Status").orElseThrow()).startsWith("edge-test; hit");
            assertThat(edge.metric("outpost_requests_total", "cache", "hit", "tier", "disk")).isEqualTo(1.0);
            assertThat(edge.node().cache().memoryEntries()).isZero();
            origin.verify(1, getRequestedFor(urlEqualTo("/big")));
        }
    }

    @Test
    void objectLargerThanDiskLimitStreamsThroughUnstored() {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {memory-size: 8MiB, memory-max-object: 1MiB, disk-size: 64MiB, disk-max-object: 4MiB}").start()) {
            HttpResponse<byte[]> first = edge.getBytes("/huge");
            assertThat(first.body()).isEqualTo(body(6 * 1024 * 1024, 9));
            HttpResponse<byte[]> second = edge.getBytes("/huge");
            assertThat(second.body()).hasSize(6 * 1024 * 1024);
            assertThat(second.headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=");
            origin.verify(2, getRequestedFor(urlEqualTo("/huge")));
            assertThat(edge.node().cache().diskEntries()).isZero();
        }
    }
}

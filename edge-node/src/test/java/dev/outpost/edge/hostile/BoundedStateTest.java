package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.hardening.NodeFigures;
import dev.outpost.testing.OriginExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * State the node keeps per request-derived key is bounded in bytes, whatever the keys' length:
 * hit-for-pass marks (one per uncacheable URL) and rate-limit buckets (one per header value).
 * Before, both were bounded only in number: 40,000 unique 8 KiB URLs left 305 MiB of heap,
 * 20,000 unique 8 KiB {@code X-Api-Key} values 153 MiB.
 */
class BoundedStateTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path tmp;

    @BeforeEach
    void stubs() {
        origin.resetAll();
        origin.stubFor(get(urlPathMatching("/pass/.*")).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("p")));
        origin.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withHeader("Cache-Control", "max-age=3600").withBody("c")));
    }

    private static final String RULES = """
            rules:
              - name: api
                match: {path-prefix: /api/}
                rate-limit: {requests-per-second: 1000, burst: 2, key: "header:X-Api-Key"}
            """;

    /** A path of about {@code length} characters, unique per {@code i}. */
    private static String longPath(String prefix, int i, int length) {
        String head = prefix + i + "/";
        return head + "a".repeat(Math.max(0, length - head.length()));
    }

    @Test
    void longKeysAreHeldInBoundedBytes() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("cache: {hit-for-pass-memory: 64KiB}\nlimits: {rate-limit-memory: 64KiB}\n" + RULES).start()) {
            int n = 3_000;
            send(n, 8, i -> HttpRequest.newBuilder(edge.uri(longPath("/pass/", i, 7_900))));
            send(n, 8, i -> HttpRequest.newBuilder(edge.uri("/api/hit")).header("X-Api-Key", i + "k".repeat(8_000)));
            assertThat(edge.metric("outpost_state_bytes", "map", "hit-for-pass")).isBetween(1.0, 64.0 * 1024);
            assertThat(edge.metric("outpost_state_bytes", "map", "rate-limit")).isBetween(1.0, 64.0 * 1024);
            assertThat(edge.metric("outpost_state_evictions_total", "map", "hit-for-pass")).isGreaterThan(n / 2.0);
            assertThat(edge.metric("outpost_state_evictions_total", "map", "rate-limit")).isGreaterThan(n / 2.0);
            // the marks and buckets still work for keys in use
            String recent = longPath("/pass/", n + 1, 7_900);
            edge.get(recent);
            assertThat(edge.get(recent).headers().firstValue("cache-status").orElseThrow()).contains("detail=hit-for-pass");
            String key = "x".repeat(8_000);
            assertThat(edge.get("/api/hit", "X-Api-Key", key).statusCode()).isEqualTo(200);
            assertThat(edge.get("/api/hit", "X-Api-Key", key).statusCode()).isEqualTo(200);
            assertThat(edge.get("/api/hit", "X-Api-Key", key).statusCode()).as("a long key's bucket still limits").isEqualTo(429);
        }
    }

    @Test
    void aBoundTooSmallIsRefusedAtStart() {
        assertThatThrownBy(() -> TestEdge.withOrigin(origin.baseUrl())
                        .yaml("limits: {rate-limit-memory: 1KiB}").start())
                .hasMessageContaining("limits.rate-limit-memory").hasMessageContaining("at least 64KiB");
    }

    /**
     * The issue's figures, against a node in its own JVM with {@code -Xmx512m} and default
     * bounds: 40,000 unique ~8 KiB uncacheable URLs, then 20,000 cache hits with unique 8 KiB
     * {@code X-Api-Key} values, while another client keeps being served.
     */
    @Test
    @Tag("bounds")
    void issueFiguresInAChildJvm() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(tmp.resolve("edge.yaml"), RULES);
        try (EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), data, List.of("-Xmx512m"),
                "--config", tmp.resolve("edge.yaml").toString()).start()) {
            edge.get("/api/hit", "X-Api-Key", "warm");
            NodeFigures.Reading before = NodeFigures.readAfterGc(edge);
            AtomicBoolean attacking = new AtomicBoolean(true);
            AtomicInteger served = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Thread other = Thread.ofVirtual().start(() -> {
                while (attacking.get()) {
                    try {
                        if (edge.get("/other").status() == 200) {
                            served.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    }
                }
            });
            URI base = URI.create("http://127.0.0.1:" + edge.port);
            send(40_000, 16, i -> HttpRequest.newBuilder(base.resolve(longPath("/pass/", i, 7_900))));
            send(20_000, 16, i -> HttpRequest.newBuilder(base.resolve("/api/hit")).header("X-Api-Key", i + "k".repeat(8_000)));
            NodeFigures.Reading peak = NodeFigures.readAfterGc(edge);
            attacking.set(false);
            other.join();
            edge.admin("/healthz");
            NodeFigures.Reading after = NodeFigures.readAfterGc(edge);
            String report = String.format(java.util.Locale.ROOT,
                    "bounded state, -Xmx512m: before %s; peak %s; after %s; hit-for-pass %.0f bytes (%.0f evicted), "
                            + "rate-limit %.0f bytes (%.0f evicted); other client: %d served, %d failed",
                    before, peak, after, edge.metric("outpost_state_bytes", "map", "hit-for-pass"),
                    edge.metric("outpost_state_evictions_total", "map", "hit-for-pass"),
                    edge.metric("outpost_state_bytes", "map", "rate-limit"),
                    edge.metric("outpost_state_evictions_total", "map", "rate-limit"), served.get(), failed.get());
            System.out.println(report);
            Files.createDirectories(Path.of("target", "hardening"));
            Files.writeString(Path.of("target", "hardening", "bounded-state.txt"), report + "\n");
            assertThat(peak.heapMiB() - before.heapMiB()).as(report).isLessThan(48);
            assertThat(served.get()).as(report).isPositive();
            assertThat(failed.get()).as(report).isZero();
        }
    }

    /** Sends {@code n} requests from {@code parallel} clients; every answer must be 200 or 429. */
    private static void send(int n, int parallel, IntFunction<HttpRequest.Builder> request) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < parallel; w++) {
                workers.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < n) {
                        HttpResponse<Void> r = client.send(request.apply(i).timeout(Duration.ofSeconds(30)).build(),
                                HttpResponse.BodyHandlers.discarding());
                        assertThat(r.statusCode()).isIn(200, 429);
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        }
    }
}

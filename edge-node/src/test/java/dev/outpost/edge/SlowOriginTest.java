package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.testing.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of misses waiting on a slow origin hold no platform thread each: they neither
 * exhaust a pool nor stall hits, which are answered while every miss is still waiting.
 */
class SlowOriginTest {

    private static final int MISSES = 5000;
    /** How long the test waits for every miss to reach the origin. */
    private static final Duration ARRIVAL = Duration.ofMinutes(4);
    /** How long the misses may take to be answered once the origin lets them go. */
    private static final Duration COMPLETION = Duration.ofMinutes(3);
    /**
     * The origin's hold, the edge's origin {@code read-timeout} and the client's timeout: far above
     * the test's own bounds, so that only the release ends a miss, however long a loaded machine
     * takes to get all of them to the origin (with the default 30 s read-timeout, the first
     * misses came back as 504 origin-timeout before the last ones had arrived).
     */
    private static final Duration PATIENCE = ARRIVAL.plus(COMPLETION).multipliedBy(2);

    @TempDir
    Path tmp;

    private static String tail(String log) {
        return log.length() < 4000 ? log : log.substring(log.length() - 4000);
    }

    /** How many of {@code misses} ended how: a status (with its Cache-Status when not 200) or an exception. */
    private static Map<String, Integer> outcomes(List<CompletableFuture<HttpResponse<String>>> misses) throws Exception {
        Map<String, Integer> outcomes = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> f : misses) {
            String o = f.handle((r, e) -> e != null ? e.getClass().getSimpleName()
                    : r.statusCode() == 200 ? (r.body().startsWith("body of /slow/") ? "200" : "200 wrong body")
                    : r.statusCode() + " " + r.headers().firstValue("Cache-Status").orElse("")).get();
            outcomes.merge(o, 1, Integer::sum);
        }
        return outcomes;
    }

    @Test
    void fiveThousandPendingMissesDoNotStallHits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger arrived = new AtomicInteger();
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8192);
        origin.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        origin.createContext("/", ex -> {
            byte[] body = ("body of " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            if (ex.getRequestURI().getPath().startsWith("/slow/")) {
                arrived.incrementAndGet();
                try {
                    release.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ex.getResponseHeaders().add("Cache-Control", "max-age=600");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.start();
        String base = "http://127.0.0.1:" + origin.getAddress().getPort();
        Path config = Files.writeString(tmp.resolve("edge.yaml"), """
                origins:
                  - name: default
                    servers: [{url: "%s"}]
                    read-timeout: %ds
                """.formatted(base, PATIENCE.toSeconds()));
        try (EdgeProcess edge = EdgeProcess.edge(null, Files.createDirectories(tmp.resolve("data")), List.of("-Xmx512m"),
                "--config", config.toString(), "--limits.max-connections-per-client", "10000")) {
            edge.start();
            assertThat(edge.get("/hot").cacheStatus()).contains("fwd=miss");
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            List<CompletableFuture<HttpResponse<String>>> misses = new ArrayList<>();
            for (int i = 0; i < MISSES; i++) {
                misses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port + "/slow/" + i))
                        .timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Await.until("all misses reached the origin", ARRIVAL, () -> arrived.get() == MISSES);
            // every miss is now parked upstream; hits must still be answered
            for (int i = 0; i < 20; i++) {
                EdgeProcess.Checked hit = edge.get("/hot");
                assertThat(hit.cacheStatus()).startsWith("edge-child; hit");
            }
            List<CompletableFuture<HttpResponse<String>>> early = misses.stream().filter(CompletableFuture::isDone).toList();
            assertThat(outcomes(early)).as("misses answered before the origin released them").isEmpty();
            release.countDown();
            CompletableFuture.allOf(misses.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
                    .get(COMPLETION.toSeconds(), TimeUnit.SECONDS);
            assertThat(outcomes(misses)).as("edge log tail: %s", tail(edge.logText())).containsExactly(Map.entry("200", MISSES));
        } finally {
            release.countDown();
            origin.stop(0);
        }
    }
}

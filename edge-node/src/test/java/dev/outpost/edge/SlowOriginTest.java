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

    @TempDir
    Path tmp;

    private static String tail(String log) {
        return log.length() < 4000 ? log : log.substring(log.length() - 4000);
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
                    release.await(120, TimeUnit.SECONDS);
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
        try (EdgeProcess edge = EdgeProcess.edge(base, Files.createDirectories(tmp.resolve("data")), List.of("-Xmx512m"), "--limits.max-connections-per-client", "10000")) {
            edge.start();
            assertThat(edge.get("/hot").cacheStatus()).contains("fwd=miss");
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            List<CompletableFuture<HttpResponse<String>>> misses = new ArrayList<>();
            for (int i = 0; i < MISSES; i++) {
                misses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port + "/slow/" + i))
                        .timeout(Duration.ofMinutes(3)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Await.until("all misses reached the origin", Duration.ofSeconds(120), () -> arrived.get() == MISSES);
            // every miss is now parked upstream; hits must still be answered
            for (int i = 0; i < 20; i++) {
                EdgeProcess.Checked hit = edge.get("/hot");
                assertThat(hit.cacheStatus()).startsWith("edge-child; hit");
            }
            assertThat(misses.stream().filter(CompletableFuture::isDone).count()).isZero();
            release.countDown();
            CompletableFuture.allOf(misses.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
                    .get(3, TimeUnit.MINUTES);
            java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();
            for (CompletableFuture<HttpResponse<String>> f : misses) {
                String o = f.handle((r, e) -> e != null ? e.getClass().getSimpleName()
                        : r.statusCode() + (r.body().startsWith("body of /slow/") ? "" : " wrong body")).get();
                outcomes.merge(o, 1, Integer::sum);
            }
            assertThat(outcomes).as("edge log tail: %s", tail(edge.logText())).containsExactly(java.util.Map.entry("200", MISSES));
        } finally {
            release.countDown();
            origin.stop(0);
        }
    }
}

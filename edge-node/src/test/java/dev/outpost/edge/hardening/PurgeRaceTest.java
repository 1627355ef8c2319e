package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.edge.TestEdge;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Purges racing the requests that keep an object busy (found by the 10-minute soak): while
 * clients ask for an object without pause (so it is being copied from disk into memory, or
 * filled, at any moment), it is purged again and again by URL and by surrogate key. After each
 * purge returns, the next request must get a newer copy from the origin; a lookup that read
 * the disk copy just before the purge deleted it must not put it back into memory, a fill the
 * purge overtook must not store it after the purge, and a reader that finds the chunks of its
 * entry gone (purged under it) must not count it as damage.
 */
class PurgeRaceTest {

    @Test
    void noPurgeIsLostToALookupOrFillUnderWay() throws Exception {
        Map<String, AtomicLong> gens = new ConcurrentHashMap<>();
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        origin.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        origin.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body = (path + " gen=" + gens.computeIfAbsent(path, k -> new AtomicLong()).incrementAndGet())
                    .getBytes(StandardCharsets.US_ASCII);
            ex.getResponseHeaders().add("Cache-Control", "max-age=3600");
            ex.getResponseHeaders().add("Surrogate-Key", "race " + path.substring(1).replace('/', '-'));
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        origin.start();
        try (TestEdge edge = TestEdge.withOrigin("http://127.0.0.1:" + origin.getAddress().getPort()).start()) {
            HttpClient client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            String base = "http://127.0.0.1:" + edge.port();
            List<String> paths = List.of("/race/a", "/race/b");
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> busy = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String path = paths.get(i % paths.size());
                busy.add(Thread.ofVirtual().start(() -> {
                    while (!stop.get()) {
                        try {
                            client.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                                    HttpResponse.BodyHandlers.discarding());
                        } catch (IOException | InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
            int lost = 0;
            List<String> lostOnes = new ArrayList<>();
            int rounds = 400;
            try {
                for (int i = 0; i < rounds; i++) {
                    String path = paths.get(i % paths.size());
                    long before = gen(client, base + path);
                    String doc = i % 2 == 0 ? "{\"kind\":\"url\",\"values\":[\"" + base + path + "\"]}"
                            : "{\"kind\":\"tag\",\"values\":[\"" + path.substring(1).replace('/', '-') + "\"]}";
                    assertThat(edge.adminPost("/purge", doc).statusCode()).isEqualTo(200);
                    long after = gen(client, base + path);
                    if (after <= before) {
                        lost++;
                        lostOnes.add(path + " " + (i % 2 == 0 ? "url" : "tag") + ": gen " + before + " then " + after);
                    }
                }
            } finally {
                stop.set(true);
                for (Thread t : busy) {
                    t.join();
                }
            }
            double corrupt = edge.metric("outpost_cache_corrupt_total");
            System.out.println("purge race: " + rounds + " purges of objects under constant load, " + lost + " lost, "
                    + (long) corrupt + " entries counted corrupt");
            assertThat(lostOnes).as("purges after which the purged copy was served again").isEmpty();
            // a reader whose entry was purged under it finds its chunks gone: that is no damage
            assertThat(corrupt).as("entries counted corrupt").isZero();
        } finally {
            origin.stop(0);
        }
    }

    private static long gen(HttpClient client, String url) throws IOException, InterruptedException {
        String body = client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
        return Long.parseLong(body.substring(body.indexOf("gen=") + 4).trim());
    }
}

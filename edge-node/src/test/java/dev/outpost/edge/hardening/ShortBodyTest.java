package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 16: a small body (at most one buffer, read whole before anything is sent)
 * that the origin cuts short is a clean 502 for the request that fetched it and for every
 * request collapsed on it, never a 200 claiming {@code stored} that is then cut off; one that
 * the origin trickles is a 504 once the origin's read timeout has passed in all.
 */
class ShortBodyTest {

    private static final int SIZE = 50_000;

    private static TestEdge edge(String originUrl, String readTimeout) {
        return new TestEdge.Builder().yaml("""
                origins:
                  - name: default
                    servers: [{url: "%s"}]
                    read-timeout: %s
                """.formatted(originUrl, readTimeout)).start();
    }

    @Test
    void aSmallBodyCutShortIsA502ForTheLeaderAndEveryWaiter() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        try (ScriptedOrigin raw = new ScriptedOrigin((req, out) -> {
            byte[] whole = FaultsTest.body(SIZE, 3);
            FaultsTest.write(out, "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: " + SIZE + "\r\n\r\n");
            if (calls.incrementAndGet() == 1) {
                out.write(whole, 0, SIZE / 2);
                out.flush();
                try {
                    go.await(10, TimeUnit.SECONDS); // waiters collapse on this fetch meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false; // the connection closes: the body ends short
            }
            out.write(whole);
            return true;
        }); TestEdge edge = edge(raw.baseUrl(), "5s"); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Wire.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(pool.submit(() -> Wire.get(edge.port(), "GET", "/small", "example.com")));
            }
            dev.outpost.testing.Await.until("the first half sent", java.time.Duration.ofSeconds(10), () -> calls.get() == 1);
            Thread.sleep(300); // let the five requests reach the node and collapse on the one fetch
            go.countDown();
            for (Future<Wire.Response> f : answers) {
                Wire.Response r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.status()).as(r.raw().substring(0, Math.min(400, r.raw().length()))).isEqualTo(502);
                assertThat(r.complete()).isTrue();
                assertThat(r.cacheStatus()).contains("detail=upstream-body-failed").doesNotContain("stored");
            }
            assertThat(calls.get()).as("origin requests").isEqualTo(1);
            assertThat(edge.node().cache().memoryEntries() + edge.node().cache().diskEntries()).isZero();

            Wire.Response whole = Wire.get(edge.port(), "GET", "/small", "example.com");
            assertThat(whole.status()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(FaultsTest.body(SIZE, 3));
            assertThat(whole.cacheStatus()).contains("fwd=miss").contains("stored");
        }
    }

    @Test
    void aSmallBodyTrickledIsA504AfterTheReadTimeoutInAll() throws Exception {
        try (StreamOrigin trickle = new StreamOrigin(); TestEdge edge = edge(trickle.baseUrl(), "5s")) {
            long t0 = System.nanoTime(); // wall clock: the read timeout is a real socket timeout
            Wire.Response r = Wire.get(edge.port(), "GET", "/trickle/1000", "example.com");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.status()).as(r.raw()).isEqualTo(504);
            assertThat(r.cacheStatus()).contains("detail=upstream-body-failed").doesNotContain("stored");
            // a byte every 3 s never trips the 5 s read timeout; the body as a whole is bounded by it
            assertThat(ms).as("answered once the read timeout passed in all, not after the body (50 min)").isLessThan(9_000);
            assertThat(Arrays.asList(edge.node().cache().memoryEntries(), edge.node().cache().diskEntries()))
                    .containsOnly(0L);
        }
    }
}

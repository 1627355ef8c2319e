package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Request collapsing: concurrent requests for one uncached or stale key cause one origin
 * fetch; waiters get the head as soon as it arrives and read the body as it streams; a
 * response that turns out not storable releases the waiters at once and makes the key
 * hit-for-pass, so later requests don't queue.
 */
class CollapsingTest {

    static final ManualClock CLOCK = TestEdge.wallClock();
    /** The origin's latency in the timing tests. */
    static final int ORIGIN_MILLIS = 1000;
    /**
     * What the node may add to it. The time bounds below tell one origin latency from a queue
     * of them (20 waiters served one after another take 20 s), not a fast node from a slow one:
     * the margin is wide so that a loaded CI machine cannot fail them.
     */
    static final int MARGIN_MILLIS = 4000;

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension(OriginClock.options(CLOCK).containerThreads(120).jettyAcceptors(2));

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    static HttpClient client;
    static ExecutorService threads;

    @BeforeAll
    static void start() {
        threads = Executors.newVirtualThreadPerTaskExecutor();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(threads)
                .connectTimeout(Duration.ofSeconds(10)).build();
        // warm the edge, its origin connection pool and the client up, so timings measure collapsing
        origin.stubFor(get("/warm-up").willReturn(aResponse().withBody("w")));
        for (int i = 0; i < 20; i++) {
            edge.get("/warm-up");
        }
    }

    @AfterAll
    static void stop() {
        client.close();
        threads.close();
    }

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    /** One client's answer and how long it took from just before sending (wall clock: see {@link #MARGIN_MILLIS}). */
    record Timed(int status, String body, String cacheStatus, long millis) {
    }

    private static Future<Timed> send(String path) {
        return threads.submit(() -> {
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(edge.uri(path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Timed(r.statusCode(), r.body(), r.headers().firstValue("Cache-Status").orElse(""),
                    (System.nanoTime() - t0) / 1_000_000);
        });
    }

    private static List<Timed> concurrently(String path, int clients) throws Exception {
        List<Future<Timed>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            futures.add(send(path));
        }
        List<Timed> out = new ArrayList<>();
        for (Future<Timed> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    @Test
    void twoHundredConcurrentMissesMakeOneOriginRequest() throws Exception {
        origin.stubFor(get("/popular").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withFixedDelay(ORIGIN_MILLIS).withBody("the popular object")));
        List<Timed> answers = concurrently("/popular", 200);
        assertThat(originCount("/popular")).isEqualTo(1);
        long collapsed = answers.stream().filter(t -> t.cacheStatus().contains("collapsed")).count();
        assertThat(collapsed).as("waiters: %s", answers.stream().collect(java.util.stream.Collectors.groupingBy(Timed::cacheStatus, java.util.stream.Collectors.counting()))).isGreaterThan(50); // the rest came after the object was stored: hits
        for (Timed t : answers) {
            assertThat(t.status()).isEqualTo(200);
            assertThat(t.body()).isEqualTo("the popular object");
            assertThat(t.millis()).as("answered within the origin's latency plus a margin").isLessThan(ORIGIN_MILLIS + MARGIN_MILLIS);
        }
        assertThat(answers).filteredOn(t -> t.cacheStatus().contains("collapsed"))
                .allMatch(t -> t.cacheStatus().equals("edge-test; fwd=miss; fwd-status=200; stored; collapsed; ttl=60"));
        assertThat(answers).filteredOn(t -> t.cacheStatus().contains("fwd=miss") && !t.cacheStatus().contains("collapsed"))
                .hasSize(1);
    }

    @Test
    void concurrentRequestsForAnObjectOnDiskOnlyAreAllHits() throws Exception {
        String body = "d".repeat(64 * 1024);
        origin.stubFor(get("/on-disk").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody(body)));
        try (TestEdge small = TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK)
                .yaml("cache: {memory-max-object: 16KiB}").start()) {
            assertThat(small.get("/on-disk").body()).isEqualTo(body);
            dev.outpost.testing.Await.until("stored on disk", Duration.ofSeconds(10), () -> small.node().cache().diskEntries() == 1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(threads.submit(() -> client.send(HttpRequest.newBuilder(small.uri("/on-disk")).build(),
                        HttpResponse.BodyHandlers.ofString())));
            }
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(body);
                // the first looked it up on disk; those that waited on that lookup then found it too
                assertThat(r.headers().firstValue("Cache-Status")).hasValue("edge-test; hit; ttl=60");
            }
            assertThat(originCount("/on-disk")).isEqualTo(1);
            assertThat(small.metric("outpost_requests_total", "cache", "hit", "tier", "disk")).isEqualTo(50.0);
        }
    }

    @Test
    void waitersReadTheBodyAsItStreams() throws Exception {
        // the origin sends the first tenth of the body, then holds the rest until every reader has its first bytes
        CountDownLatch rest = new CountDownLatch(1);
        String body = "0123456789".repeat(100);
        try (RawOrigin slow = new RawOrigin("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + RawOrigin.chunk(body.substring(0, 100)) + RawOrigin.PAUSE + RawOrigin.chunk(body.substring(100)) + "0\r\n\r\n")
                        .pauseUntil(rest);
             TestEdge streaming = TestEdge.withOrigin(slow.url()).clock(CLOCK).start()) {
            CountDownLatch firstBytes = new CountDownLatch(20);
            List<Future<long[]>> readers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                readers.add(threads.submit(() -> {
                    HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(streaming.uri("/dribbled")).build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        int first = in.read();
                        firstBytes.countDown();
                        long total = first < 0 ? 0 : 1 + in.readAllBytes().length;
                        boolean waiter = r.headers().firstValue("Cache-Status").orElse("").contains("collapsed");
                        return new long[] {total, waiter ? 1 : 0};
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
            assertThat(firstBytes.await(30, TimeUnit.SECONDS)).as("every reader has its first bytes while the origin holds the rest")
                    .isTrue();
            rest.countDown();
            int waiters = 0;
            for (Future<long[]> f : readers) {
                long[] t = f.get();
                assertThat(t[0]).isEqualTo(1000);
                waiters += (int) t[1];
            }
            assertThat(waiters).isGreaterThan(10);
            assertThat(slow.count()).isEqualTo(1);
        }
    }

    @Test
    void requestsArrivingWhileTheBodyStreamsJoinTheFill() throws Exception {
        origin.stubFor(get("/still-streaming").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("x".repeat(1000)).withChunkedDribbleDelay(10, 2000)));
        HttpResponse<InputStream> first = client.send(HttpRequest.newBuilder(edge.uri("/still-streaming")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        // the head is in, the body is still coming: later requests read it from the fill
        for (int i = 0; i < 3; i++) {
            Timed later = send("/still-streaming").get();
            assertThat(later.body()).hasSize(1000);
            assertThat(later.cacheStatus()).isIn("edge-test; fwd=miss; fwd-status=200; stored; collapsed; ttl=60",
                    "edge-test; hit; ttl=60");
        }
        try (InputStream in = first.body()) {
            assertThat(in.readAllBytes()).hasSize(1000);
        }
        assertThat(originCount("/still-streaming")).isEqualTo(1);
    }

    @Test
    void requestsAfterAPurgeDoNotJoinTheFillItOvertook() throws Exception {
        origin.stubFor(get("/purged-while-streaming").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("old".repeat(300)).withChunkedDribbleDelay(10, 2000)));
        origin.stubFor(post("/purged-while-streaming")
                .willReturn(aResponse().withStatus(204)));
        HttpResponse<InputStream> first = client.send(HttpRequest.newBuilder(edge.uri("/purged-while-streaming")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        // the resource changes while the old version still streams in
        assertThat(edge.send("POST", "/purged-while-streaming", "new").statusCode()).isEqualTo(204);
        origin.stubFor(get("/purged-while-streaming").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withBody("new")));
        Timed after = send("/purged-while-streaming").get();
        assertThat(after.body()).isEqualTo("new");
        assertThat(after.cacheStatus()).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        try (InputStream in = first.body()) {
            assertThat(in.readAllBytes()).hasSize(900);
        }
        assertThat(originCount("/purged-while-streaming")).isEqualTo(2);
        assertThat(send("/purged-while-streaming").get().body()).isEqualTo("new");
    }

    @Test
    void aResponseThatIsNotStorableReleasesTheWaitersAtOnce() throws Exception {
        origin.stubFor(get("/personal").willReturn(aResponse().withHeader("Cache-Control", "private")
                .withFixedDelay(ORIGIN_MILLIS).withBody("yours")));
        List<Timed> answers = concurrently("/personal", 20);
        for (Timed t : answers) {
            assertThat(t.body()).isEqualTo("yours");
            // the leader's head releases the waiters, who then fetch on their own: two origin
            // latencies at most, not one per waiter
            assertThat(t.millis()).isLessThan(2L * ORIGIN_MILLIS + MARGIN_MILLIS);
        }
        assertThat(originCount("/personal")).isEqualTo(20);

        // hit-for-pass: no more queueing behind a leader
        List<Timed> later = concurrently("/personal", 10);
        for (Timed t : later) {
            assertThat(t.cacheStatus()).isEqualTo("edge-test; fwd=bypass; detail=hit-for-pass; fwd-status=200");
            assertThat(t.millis()).isLessThan(ORIGIN_MILLIS + MARGIN_MILLIS);
        }
        assertThat(originCount("/personal")).isEqualTo(30);
    }

    @Test
    void concurrentRequestsForAStaleKeyMakeOneRevalidation() throws Exception {
        origin.stubFor(get("/stale-popular").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"s\"").withBody("stored once")));
        assertThat(edge.get("/stale-popular").statusCode()).isEqualTo(200);
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/stale-popular").withHeader("If-None-Match", equalTo("\"s\"")).willReturn(aResponse().withStatus(304)
                .withHeader("ETag", "\"s\"").withHeader("Cache-Control", "max-age=10").withFixedDelay(ORIGIN_MILLIS)));
        List<Timed> answers = concurrently("/stale-popular", 50);
        assertThat(originCount("/stale-popular")).isEqualTo(2);
        for (Timed t : answers) {
            assertThat(t.status()).isEqualTo(200);
            assertThat(t.body()).isEqualTo("stored once");
            assertThat(t.cacheStatus()).matches("edge-test; (fwd=stale; fwd-status=304; (collapsed; )?ttl=10; detail=revalidated|hit; ttl=10)");
            assertThat(t.millis()).isLessThan(ORIGIN_MILLIS + MARGIN_MILLIS);
        }
        assertThat(answers).filteredOn(t -> t.cacheStatus().contains("collapsed")).hasSizeGreaterThan(25);
    }

    @Test
    void aStorableErrorIsSharedWithTheWaiters() throws Exception {
        origin.stubFor(get("/failing").willReturn(aResponse().withStatus(503).withFixedDelay(ORIGIN_MILLIS)
                .withHeader("Cache-Control", "max-age=60").withBody("down")));
        List<Timed> answers = concurrently("/failing", 20);
        for (Timed t : answers) {
            assertThat(t.status()).isEqualTo(503);
        }
        // 503 is not heuristically cacheable, but max-age makes it storable (for error-ttl)
        assertThat(originCount("/failing")).isEqualTo(1);
    }
}

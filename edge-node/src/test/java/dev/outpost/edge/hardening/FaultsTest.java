package dev.outpost.edge.hardening;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.OriginGate;
import dev.outpost.testing.Ports;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Origin faults, each injected for real (a closed port, WireMock's faults and delays, a raw
 * socket origin that writes broken bytes): the client gets a clear 502 or 504 whose
 * Cache-Status says why, or the stored copy when stale-if-error allows it; a body cut short is
 * never stored and never delivered as if whole (the client's connection is cut); and once the
 * origin is well again, the next request fetches afresh.
 */
class FaultsTest {

    /** Holds the slow origin's answer until the node has given up on it. */
    static final OriginGate SLOW = new OriginGate();

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension(wireMockConfig().dynamicPort().extensions(SLOW));

    private static final int SMALL = 50_000;
    private static final int LARGE = 3 * 1024 * 1024;

    static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) ('a' + (i * 7 + seed) % 26);
        }
        return b;
    }

    /** An edge whose origin {@code default} has short timeouts (yet long enough for a loaded machine); large objects live on disk only. */
    private static TestEdge edge(String originUrl, String... extraYaml) {
        return new TestEdge.Builder().yaml("""
                origins:
                  - name: default
                    servers: [{url: "%s"}]
                    connect-timeout: 500ms
                    read-timeout: 1500ms
                cache: {memory-max-object: 1MiB, chunk-size: 64KiB}
                """.formatted(originUrl) + String.join("\n", extraYaml)).start();
    }

    private static void assertNothingStored(TestEdge edge) {
        assertThat(edge.node().cache().memoryEntries()).as("entries in memory").isZero();
        assertThat(edge.node().cache().diskEntries()).as("entries on disk").isZero();
    }

    @Test
    void originRefusingConnectionsIs502WithDetail() {
        try (TestEdge edge = edge("http://127.0.0.1:" + Ports.free())) {
            Wire.Response r = Wire.get(edge.port(), "GET", "/down", "example.com");
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.cacheStatus()).isEqualTo("edge-test; fwd=miss; detail=origin-unreachable");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.bodyText()).startsWith("upstream failed: cannot connect to").contains("127.0.0.1:");
            assertNothingStored(edge);
        }
    }

    @Test
    void slowOriginIs504WithoutWaitingForIt() {
        origin.stubFor(get("/slow").willReturn(aResponse().withTransformers(OriginGate.NAME).withBody("late")));
        try (TestEdge edge = edge(origin.baseUrl())) {
            // answered after the read timeout, not the origin's delay: the origin answers only once the test lets it
            Wire.Response r = Wire.get(edge.port(), "GET", "/slow", "example.com");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.cacheStatus()).isEqualTo("edge-test; fwd=miss; detail=origin-timeout");
            SLOW.open();
            Await.until("the origin's late answer logged", Duration.ofSeconds(10),
                    () -> origin.findAll(getRequestedFor(urlPathEqualTo("/slow"))).size() == 1);
            origin.verify(1, getRequestedFor(urlPathEqualTo("/slow")));
            assertNothingStored(edge);
        }
    }

    @Test
    void wireMockFaultsBeforeTheResponseAre502() {
        origin.stubFor(get("/reset").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        origin.stubFor(get("/empty").willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE)));
        origin.stubFor(get("/random").willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)));
        try (TestEdge edge = edge(origin.baseUrl())) {
            for (String path : List.of("/reset", "/empty", "/random")) {
                Wire.Response r = Wire.get(edge.port(), "GET", path, "example.com");
                assertThat(r.status()).as(path).isEqualTo(502);
                assertThat(r.cacheStatus()).as(path).matches("edge-test; fwd=miss; detail=origin-(unreachable|invalid-response)");
                assertThat(r.complete()).as(path).isTrue();
            }
            assertNothingStored(edge);
        }
    }

    @Test
    void aBrokenFirstChunkIsAClean502() {
        origin.stubFor(get("/chunk").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withFault(Fault.MALFORMED_RESPONSE_CHUNK)));
        try (TestEdge edge = edge(origin.baseUrl())) {
            Wire.Response r = Wire.get(edge.port(), "GET", "/chunk", "example.com");
            assertThat(r.status()).as(r.raw()).isEqualTo(502);
            assertThat(r.cacheStatus()).isEqualTo("edge-test; fwd=miss; detail=upstream-body-failed");
            assertNothingStored(edge);
        }
    }

    /** The origin sends half a small body and then nothing: after the read timeout the client gets a 504. */
    @Test
    void anOriginStallingMidBodyCutsTheClientOffAndStoresNothing() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        try (ScriptedOrigin raw = new ScriptedOrigin((req, out) -> {
            byte[] whole = body(SMALL, 9);
            write(out, "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: " + SMALL + "\r\n\r\n");
            if (calls.incrementAndGet() == 1) {
                out.write(whole, 0, SMALL / 2);
                out.flush();
                try {
                    release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
            }
            out.write(whole);
            return true;
        }); TestEdge edge = edge(raw.baseUrl())) {
            long t0 = System.nanoTime(); // wall clock: the origin read timeout is a real socket timeout
            Wire.Response cut = Wire.get(edge.port(), "GET", "/stall", "example.com");
            // a small body is read whole before anything is sent: its stall is a clean 504
            assertThat(cut.status()).as(cut.raw()).isEqualTo(504);
            assertThat(cut.cacheStatus()).contains("detail=upstream-body-failed").doesNotContain("stored");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("answered after the read timeout").isLessThan(5_000);
            assertNothingStored(edge);
            release.countDown();
            Wire.Response again = Wire.get(edge.port(), "GET", "/stall", "example.com");
            assertThat(again.cacheStatus()).contains("fwd=miss");
            assertThat(again.body()).isEqualTo(body(SMALL, 9));
            assertThat(Wire.get(edge.port(), "GET", "/stall", "example.com").cacheStatus()).startsWith("edge-test; hit");
        }
    }

    /** Bodies that stop short of their framing, stored (small and large) or relayed (no-store). */
    @Test
    void truncatedBodiesAreNeverStoredNorCompletedAsIfWhole() {
        AtomicInteger calls = new AtomicInteger();
        // first answer of each path broken, the next ones whole
        ScriptedOrigin.Script script = (req, out) -> {
            String[] p = req.target().split("/");
            String kind = p[1];
            int size = Integer.parseInt(p[2]);
            String cc = p.length > 3 ? "no-store" : "max-age=600";
            boolean broken = calls.incrementAndGet() % 2 == 1;
            byte[] whole = body(size, size);
            if (kind.equals("length")) {
                write(out, "HTTP/1.1 200 OK\r\nCache-Control: " + cc + "\r\nContent-Length: " + size + "\r\n\r\n");
                out.write(broken ? Arrays.copyOf(whole, size / 2) : whole);
            } else {
                write(out, "HTTP/1.1 200 OK\r\nCache-Control: " + cc + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                int half = broken ? size / 2 : size;
                for (int i = 0; i < half; i += 8192) {
                    int n = Math.min(8192, half - i);
                    write(out, Integer.toHexString(n) + "\r\n");
                    out.write(whole, i, n);
                    write(out, "\r\n");
                }
                if (!broken) {
                    write(out, "0\r\n\r\n");
                }
            }
            return !broken;
        };
        try (ScriptedOrigin raw = new ScriptedOrigin(script); TestEdge edge = edge(raw.baseUrl())) {
            for (String path : List.of("/length/" + SMALL, "/length/" + LARGE, "/chunked/" + SMALL, "/chunked/" + LARGE,
                    "/length/" + SMALL + "/no-store", "/chunked/" + LARGE + "/no-store")) {
                int size = Integer.parseInt(path.split("/")[2]);
                Wire.Response cut = Wire.get(edge.port(), "GET", path, "example.com");
                // the head and part of the body, or nothing at all when the failure cut the
                // connection while the first bytes were still buffered: never a whole-looking answer
                if (path.equals("/length/" + SMALL)) {
                    // small enough to be read whole before anything is sent: a clean 502
                    assertThat(cut.status()).as(path).isEqualTo(502);
                    assertThat(cut.cacheStatus()).as(path).doesNotContain("stored");
                    assertNothingStored(edge);
                    assertThat(Wire.get(edge.port(), "GET", path, "example.com").body()).isEqualTo(body(size, size));
                    edge.node().cache().remove(keyOf(path));
                    continue;
                }
                // a clean 502 when the cut came before the head was committed (a loaded machine
                // reads the half body slowly enough for that)
                assertThat(cut.status()).as(path).isIn(200, 502, -1);
                if (cut.status() == 502) {
                    assertThat(cut.cacheStatus()).as(path).doesNotContain("stored");
                } else {
                    assertThat(cut.complete()).as("%s delivered as if whole (%d of %d bytes)", path, cut.body().length, size)
                            .isFalse();
                }
                if (cut.status() == 200) {
                    assertThat(cut.body().length).as(path).isLessThan(size);
                }
                assertNothingStored(edge);

                Wire.Response whole = Wire.get(edge.port(), "GET", path, "example.com");
                assertThat(whole.complete()).as(path).isTrue();
                assertThat(whole.body()).as(path).isEqualTo(body(size, size));
                assertThat(whole.cacheStatus()).as(path).contains(path.endsWith("no-store") ? "fwd=" : "fwd=miss");
                edge.node().cache().remove(keyOf(path));
            }
        }
    }

    /** The key of a plain-HTTP request for {@code path} (the scheme is part of the default key). */
    private static String keyOf(String path) {
        return "example.com" + path + dev.outpost.edge.cache.TieredCache.EXTRA + "scheme=http";
    }

    static void write(OutputStream out, String s) throws java.io.IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void invalidResponseHeadsAre502AndNeverStored() {
        List<String> heads = List.of(
                "HTTP/1.1 abc OK\r\n\r\n",
                "garbage\r\n\r\n",
                "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: two\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk",
                "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: -2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
                "\r\n\r\n");
        try (ScriptedOrigin raw = new ScriptedOrigin((req, out) -> {
            write(out, heads.get(Integer.parseInt(req.target().substring(1))));
            return false;
        }); TestEdge edge = edge(raw.baseUrl())) {
            for (int i = 0; i < heads.size(); i++) {
                Wire.Response r = Wire.get(edge.port(), "GET", "/" + i, "example.com");
                String what = heads.get(i).lines().findFirst().orElse("") + " ...";
                assertThat(r.status() == 502 || (r.status() == 200 && !r.complete()))
                        .as("%s gave %s", heads.get(i).replace("\r\n", "|"), r.raw().replace("\r\n", "|")).isTrue();
                if (r.status() == 502) {
                    assertThat(r.cacheStatus()).as(what).matches("edge-test; fwd=miss; detail=(origin-invalid-response|origin-unreachable|upstream-body-failed)");
                }
                assertNothingStored(edge);
            }
        }
    }

    @Test
    void staleIfErrorCoversEveryKindOfOriginFailure() {
        List<String> kinds = List.of("refused", "reset", "timeout", "500", "503", "garbage");
        try (ScriptedOrigin raw = new ScriptedOrigin((req, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nCache-Control: max-age=10, stale-if-error=60\r\nContent-Length: 5\r\n\r\nfresh");
            return true;
        }); TestEdge edge = edge(raw.baseUrl())) {
            for (String k : kinds) {
                assertThat(Wire.get(edge.port(), "GET", "/sie/" + k, "example.com").bodyText()).isEqualTo("fresh");
            }
            edge.clock().advanceSeconds(20);
            int dead = Ports.free();
            // the same stored responses, now with an origin that fails in each way
            origin.stubFor(get("/sie/reset").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
            origin.stubFor(get("/sie/timeout").willReturn(aResponse().withFixedDelay(3_000).withBody("late")));
            origin.stubFor(get("/sie/500").willReturn(aResponse().withStatus(500).withBody("broken")));
            origin.stubFor(get("/sie/503").willReturn(aResponse().withStatus(503).withBody("busy")));
            origin.stubFor(get("/sie/garbage").willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)));
            long version = 1;
            for (String k : kinds) {
                String url = k.equals("refused") ? "http://127.0.0.1:" + dead : origin.baseUrl();
                edge.node().applyConfig(++version, dev.outpost.config.ConfigReader.delivery().parse("push.yaml", """
                        origins:
                          - name: default
                            servers: [{url: "%s"}]
                            connect-timeout: 500ms
                            read-timeout: 500ms
                        """.formatted(url)).value());
                Wire.Response r = Wire.get(edge.port(), "GET", "/sie/" + k, "example.com");
                assertThat(r.status()).as(k).isEqualTo(200);
                assertThat(r.bodyText()).as(k).isEqualTo("fresh");
                assertThat(r.cacheStatus()).as(k).startsWith("edge-test; fwd=stale").contains("detail=stale-if-error");
                assertThat(r.header("age")).as(k).isEqualTo("20");
            }
            edge.clock().advanceSeconds(60);
            Wire.Response late = Wire.get(edge.port(), "GET", "/sie/500", "example.com");
            assertThat(late.status()).as("past the stale-if-error window").isEqualTo(500);
            Wire.Response lateDown = Wire.get(edge.port(), "GET", "/sie/reset", "example.com");
            assertThat(lateDown.status()).isEqualTo(502);
            assertThat(lateDown.cacheStatus()).contains("detail=origin-");
        }
    }

    /** An origin that answers an upload before reading it: the answer is relayed and the connection closed, not left hanging. */
    @Test
    void anUploadTheOriginAnswersWithoutReadingEndsCleanly() throws Exception {
        try (ScriptedOrigin raw = new ScriptedOrigin((req, out) -> {
            write(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big\n");
            return false;
        }); TestEdge edge = edge(raw.baseUrl())) {
            byte[] upload = new byte[4 * 1024 * 1024];
            long t0 = System.nanoTime(); // wall clock: an idle timeout and a graceful shutdown run on real time
            String answer;
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", edge.port())) {
                s.setSoTimeout(10_000);
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        write(out, "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: " + upload.length + "\r\n\r\n");
                        out.write(upload);
                        write(out, "GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n");
                    } catch (java.io.IOException e) {
                        // the node closed the connection first: expected
                    }
                });
                answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                writer.join(10_000);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Wire.Response r = Wire.parse(answer);
            assertThat(r.status()).as(answer).isIn(413, 502);
            assertThat(ms).as("the connection ended rather than waiting for an idle timeout").isLessThan(5_000);
            long c0 = System.nanoTime();
            edge.node().close();
            assertThat((System.nanoTime() - c0) / 1_000_000).as("graceful shutdown found no exchange left open").isLessThan(5_000);
        }
    }
}

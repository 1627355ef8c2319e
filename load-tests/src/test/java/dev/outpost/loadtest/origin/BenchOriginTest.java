package dev.outpost.loadtest.origin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import dev.outpost.testing.RawHttp;
import dev.outpost.loadtest.load.RawHttpClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BenchOriginTest {

    BenchOrigin origin;

    @BeforeEach
    void start() {
        origin = BenchOrigin.start(0);
    }

    @AfterEach
    void stop() {
        origin.close();
    }

    @Test
    void servesGeneratedObjectsWithValidatorsAndCounts() throws Exception {
        var ex = RawHttp.send(origin.port(), "GET /obj/1KiB/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
        assertThat(ex.status()).isEqualTo(200);
        String headers = ex.response().substring(0, ex.response().indexOf("\r\n\r\n")).toLowerCase();
        assertThat(headers).contains("etag: \"1024-a\"", "cache-control: public, max-age=86400", "last-modified: thu, 01 jan 2026",
                "content-length: 1024");
        byte[] body = ex.response().substring(ex.response().indexOf("\r\n\r\n") + 4).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(body).isEqualTo(BenchOrigin.expectedBody("/obj/1KiB/a"));
        assertThat(BenchOrigin.expectedBody("/obj/1KiB/b")).isNotEqualTo(body);
        assertThat(origin.requests("/obj/1KiB/a")).isEqualTo(1);
        assertThat(origin.bodyBytes("/obj/1KiB/")).isEqualTo(1024);
    }

    @Test
    void conditionalRequestsGet304WithNoBody() throws Exception {
        var inm = RawHttp.send(origin.port(), "GET /ttl/1/4KiB/x HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"4096-x\"\r\nConnection: close\r\n\r\n", 5000);
        assertThat(inm.status()).isEqualTo(304);
        assertThat(inm.response().toLowerCase()).contains("cache-control: public, max-age=1").contains("etag: \"4096-x\"");
        var otherTag = RawHttp.send(origin.port(), "GET /ttl/1/4KiB/x HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"nope\"\r\n"
                + "If-Modified-Since: Fri, 02 Jan 2026 00:00:00 GMT\r\nConnection: close\r\n\r\n", 5000);
        assertThat(otherTag.status()).as("If-None-Match wins over If-Modified-Since").isEqualTo(200);
        var ims = RawHttp.send(origin.port(), "GET /ttl/1/4KiB/x HTTP/1.1\r\nHost: x\r\n"
                + "If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT\r\nConnection: close\r\n\r\n", 5000);
        assertThat(ims.status()).isEqualTo(304);
        assertThat(origin.notModified("/ttl/1/4KiB/x")).isEqualTo(2);
        assertThat(origin.requests("/ttl/")).isEqualTo(3);
        assertThat(origin.bodyBytes("/ttl/")).isEqualTo(4096);
    }

    @Test
    void slowPathsAnswerAfterTheirDelay() throws Exception {
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", origin.port(), 5000)) {
            long t0 = System.nanoTime();
            RawHttpClient.Response r = c.get("/slow/300/10/s");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyBytes()).isEqualTo(10);
            assertThat(ms).isGreaterThanOrEqualTo(300);
            // keep-alive: the same connection serves the next request
            assertThat(c.get("/obj/5/k").bodyBytes()).isEqualTo(5);
            Await.until("both counted", Duration.ofSeconds(10), () -> origin.requests() == 2);
        }
    }

    @Test
    void largeObjectsStreamWithoutBeingHeld() throws Exception {
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", origin.port(), 30_000)) {
            RawHttpClient.Response r = c.get("/obj/40MiB/big");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyBytes()).isEqualTo(40L << 20);
        }
        // the origin counts when its handler returns, which may be just after the client read the last byte
        Await.until("origin counted the body", Duration.ofSeconds(10), () -> origin.bodyBytes() == 40L << 20);
    }

    @Test
    void unknownPathsAndMethodsGetJsonErrors() {
        var ex = RawHttp.send(origin.port(), "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
        assertThat(ex.status()).isEqualTo(404);
        assertThat(ex.response()).contains("{\"error\":\"no such object\"");
        var post = RawHttp.send(origin.port(), "POST /obj/1/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 5000);
        assertThat(post.status()).isEqualTo(405);
        var stats = RawHttp.send(origin.port(), "GET /__origin/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
        assertThat(stats.response()).contains("\"requests\":2");
    }

    @Test
    void textObjectsAreCompressibleText() throws Exception {
        byte[] body = BenchOrigin.expectedBody("/text/64KiB/t1");
        assertThat(body).hasSize(64 * 1024);
        for (byte b : body) {
            assertThat(b >= 0x0a && b < 0x7f).isTrue();
        }
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(body);
        }
        // web text keeps a quarter to a half of its size under gzip -6; random bytes keep all of it
        assertThat(gz.size()).isBetween(body.length / 5, body.length / 2);
        assertThat(BenchOrigin.expectedBody("/text/64KiB/t2")).isNotEqualTo(body);
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            var r = RawHttp.send(origin.port(), "GET /text/64KiB/t1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.response()).containsIgnoringCase("Content-Type: text/html; charset=utf-8");
        }
    }

    @Test
    void pathsParse() {
        assertThat(ObjectSpec.parse("/obj/256KiB/hot")).contains(new ObjectSpec(256 * 1024, "hot", ObjectSpec.DAY, 0, false));
        assertThat(ObjectSpec.parse("/ttl/1/4096/z")).contains(new ObjectSpec(4096, "z", 1, 0, false));
        assertThat(ObjectSpec.parse("/slow/1000/1KiB/h")).contains(new ObjectSpec(1024, "h", ObjectSpec.DAY, 1000, false));
        assertThat(ObjectSpec.parse("/text/8KiB/t")).contains(new ObjectSpec(8192, "t", ObjectSpec.DAY, 0, true));
        assertThat(ObjectSpec.parse("/obj/1GiB/l").orElseThrow().size()).isEqualTo(1L << 30);
        assertThat(ObjectSpec.parse("/obj/abc/x")).isEmpty();
        assertThat(ObjectSpec.parse("/obj/-1/x")).isEmpty();
        assertThat(ObjectSpec.parse("/other/1/x")).isEmpty();
    }
}

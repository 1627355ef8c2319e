package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slice fetching ({@code slice-size}, 64 KiB here) in front of an origin that honours Range: a
 * range is cut from the slices it spans and later ranges of them are hits; an origin that
 * ignores Range has its whole answer stored; slices of two versions are never spliced; a range
 * past the end is a 416; a purge of the URL takes its slices; {@code slice-size: 0} fetches
 * the object whole, as before.
 */
class SlicesTest {

    static RangeOrigin origin;
    static TestEdge edge;

    @BeforeAll
    static void start() {
        origin = new RangeOrigin();
        edge = TestEdge.withOrigin(origin.baseUrl()).yaml("""
                default-rule: {slice-size: 64KiB}
                rules:
                  - {match: {path-prefix: /whole/}, slice-size: 0}
                """).start();
    }

    @AfterAll
    static void stop() {
        edge.close();
        origin.close();
    }

    private static List<String> reached(int from) {
        List<String> all = origin.requests();
        return all.subList(from, all.size());
    }

    private static byte[] expected(long first, long last) {
        byte[] b = new byte[(int) (last - first + 1)];
        for (int i = 0; i < b.length; i++) {
            b[i] = RangeOrigin.byteAt(first + i);
        }
        return b;
    }

    private static String cacheStatus(HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse("");
    }

    @Test
    void aRangeIsCutFromTheSlicesItSpansAndTheyAreHitsAfter() {
        int n0 = origin.requests().size();
        HttpResponse<byte[]> r = edge.getBytes("/object/1048576", "Range", "bytes=100000-200000");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 100000-200000/1048576");
        assertThat(r.headers().firstValue("ETag")).hasValue("\"v1\"");
        assertThat(r.body()).isEqualTo(expected(100000, 200000));
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=miss; fwd-status=206; stored; ttl=600; detail=slice");
        assertThat(reached(n0)).containsExactly("GET /object/1048576 bytes=65536-131071",
                "GET /object/1048576 bytes=131072-196607", "GET /object/1048576 bytes=196608-262143");
        Await.until("the slices stored", Duration.ofSeconds(10),
                () -> cacheStatus(edge.getBytes("/object/1048576", "Range", "bytes=65536-65536")).contains("hit"));
        HttpResponse<byte[]> again = edge.getBytes("/object/1048576", "Range", "bytes=70000-262143");
        assertThat(again.statusCode()).isEqualTo(206);
        assertThat(again.body()).isEqualTo(expected(70000, 262143));
        assertThat(cacheStatus(again)).startsWith("edge-test; hit; ttl=");
        assertThat(reached(n0)).hasSize(3);
    }

    @Test
    void anOpenRangeIsAnsweredToTheEndFromSlices() {
        HttpResponse<byte[]> r = edge.getBytes("/object/300000?open", "Range", "bytes=200000-");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 200000-299999/300000");
        assertThat(r.body()).isEqualTo(expected(200000, 299999));
    }

    @Test
    void anOriginThatIgnoresRangeHasItsWholeAnswerStoredWithOneRequest() {
        int n0 = origin.requests().size();
        HttpResponse<byte[]> r = edge.getBytes("/norange/300000", "Range", "bytes=10-19");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(expected(10, 19));
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=600");
        Await.until("the object stored", Duration.ofSeconds(10), () -> cacheStatus(edge.getBytes("/norange/300000")).contains("hit"));
        assertThat(edge.getBytes("/norange/300000").body()).isEqualTo(expected(0, 299999));
        assertThat(reached(n0)).containsExactly("GET /norange/300000 bytes=0-65535");
    }

    @Test
    void aSmallObjectInOneSliceIsStoredAsTheObject() {
        int n0 = origin.requests().size();
        HttpResponse<byte[]> r = edge.getBytes("/object/1000", "Range", "bytes=10-19");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");
        assertThat(r.body()).isEqualTo(expected(10, 19));
        Await.until("the object stored", Duration.ofSeconds(10), () -> cacheStatus(edge.getBytes("/object/1000")).contains("hit"));
        HttpResponse<byte[]> whole = edge.getBytes("/object/1000");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(expected(0, 999));
        assertThat(reached(n0)).containsExactly("GET /object/1000 bytes=0-65535");
    }

    @Test
    void slicesOfTwoVersionsAreNeverSplicedTogether() {
        try {
            edge.getBytes("/object/200000?versions", "Range", "bytes=0-9");
            Await.until("slice 0 stored", Duration.ofSeconds(10),
                    () -> cacheStatus(edge.getBytes("/object/200000?versions", "Range", "bytes=0-9")).contains("hit"));
            origin.newVersion("v2");
            // slice 0 is stored (v1), slice 1 now comes as v2: the response is cut off, never spliced
            assertThatThrownBy(() -> edge.getBytes("/object/200000?versions", "Range", "bytes=65530-65545"))
                    .isInstanceOf(UncheckedIOException.class);
            HttpResponse<byte[]> r = edge.getBytes("/object/200000?versions", "Range", "bytes=65530-65545");
            assertThat(r.statusCode()).isEqualTo(206);
            assertThat(r.headers().firstValue("ETag")).hasValue("\"v2\"");
            assertThat(r.body()).isEqualTo(expected(65530, 65545));
        } finally {
            origin.newVersion("v1");
        }
    }

    @Test
    void aRangePastTheEndIs416() {
        HttpResponse<byte[]> r = edge.getBytes("/object/100000?past", "Range", "bytes=200000-200010");
        assertThat(r.statusCode()).isEqualTo(416);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */100000");
        HttpResponse<byte[]> inSlice = edge.getBytes("/object/100000?past2", "Range", "bytes=90000-");
        assertThat(inSlice.statusCode()).isEqualTo(206);
        assertThat(inSlice.body()).isEqualTo(expected(90000, 99999));
    }

    @Test
    void aPurgeOfTheUrlTakesItsSlices() {
        edge.getBytes("/object/400000?purged", "Range", "bytes=70000-70009");
        Await.until("the slice stored", Duration.ofSeconds(10),
                () -> cacheStatus(edge.getBytes("/object/400000?purged", "Range", "bytes=70000-70009")).contains("hit"));
        HttpResponse<String> purge = edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"http://127.0.0.1:"
                + edge.port() + "/object/400000?purged\"]}");
        assertThat(purge.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(edge.getBytes("/object/400000?purged", "Range", "bytes=70000-70009"))).contains("fwd=miss");
    }

    @Test
    void sliceSizeZeroFetchesTheWholeObject() {
        int n0 = origin.requests().size();
        HttpResponse<byte[]> r = edge.getBytes("/whole/300000", "Range", "bytes=0-0");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(expected(0, 0));
        assertThat(reached(n0)).containsExactly("GET /whole/300000 -");
    }
}

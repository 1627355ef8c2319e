package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.date;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.http.HttpDates;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Range requests (RFC 9110 §14) on stored responses, from the memory tier and from disk:
 * single and multiple ranges (multipart/byteranges), If-Range, 416 when nothing is
 * satisfiable, the whole response when the Range field is invalid; and a range request that
 * misses on a large object answered as soon as its bytes arrive, while the node stores the
 * whole object.
 */
class RangesTest {

    static final ManualClock CLOCK = TestEdge.wallClock();
    static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz";
    /** Larger than the memory tier takes: stored and served from disk, in 16 KiB chunks. */
    static final String LARGE = large(200 * 1024);
    static final String LAST_MODIFIED = date(CLOCK, -3600);

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK)
            .yaml("cache: {memory-max-object: 64KiB, chunk-size: 16KiB}"));

    @BeforeAll
    static void fill() {
        for (String path : new String[] {"/alphabet", "/large"}) {
            origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                    .withHeader("ETag", "\"abc\"").withHeader("Last-Modified", LAST_MODIFIED)
                    .withHeader("Content-Type", "text/plain").withBody(path.equals("/large") ? LARGE : ALPHABET)));
            edge.get(path);
        }
    }

    static String large(int size) {
        StringBuilder sb = new StringBuilder(size);
        for (int i = 0; sb.length() < size; i++) {
            sb.append(String.format("%08d,", i));
        }
        return sb.substring(0, size);
    }

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
            "bytes=0-4,      /alphabet, 0, 4",
            "bytes=-5,       /alphabet, 21, 25",
            "bytes=20-,      /alphabet, 20, 25",
            "bytes=5-1000,   /alphabet, 5, 25",
            "bytes=25-25,    /alphabet, 25, 25",
            "BYTES=1-2,      /alphabet, 1, 2",
            "bytes=0-5;3-8,  /alphabet, -1, -1",
            "bytes=0-4,      /large, 0, 4",
            "bytes=16380-16390, /large, 16380, 16390",
            "bytes=-10,      /large, 204790, 204799",
            "bytes=100000-,  /large, 100000, 204799",
    })
    void singleRangesAreAnswered206(String range, String path, long first, long last) {
        String whole = path.equals("/large") ? LARGE : ALPHABET;
        HttpResponse<String> r = edge.get(path, "Range", range.replace(';', ','));
        if (first < 0) {
            // overlapping ranges are coalesced into one
            first = 0;
            last = 8;
        }
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(header(r, "Content-Range")).isEqualTo("bytes " + first + "-" + last + "/" + whole.length());
        assertThat(header(r, "Content-Length")).isEqualTo(Long.toString(last - first + 1));
        assertThat(r.body()).isEqualTo(whole.substring((int) first, (int) last + 1));
        assertThat(header(r, "ETag")).isEqualTo("\"abc\"");
        assertThat(cacheStatus(r)).startsWith("edge-test; hit");
        assertThat(originCount(path)).as("origin requests in this test").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/alphabet", "/large"})
    void multipleRangesAreAnsweredAsMultipartByteranges(String path) {
        String whole = path.equals("/large") ? LARGE : ALPHABET;
        HttpResponse<String> r = edge.get(path, "Range", "bytes=0-1, 5-6, -2");
        assertThat(r.statusCode()).isEqualTo(206);
        String type = header(r, "Content-Type");
        assertThat(type).startsWith("multipart/byteranges; boundary=");
        assertThat(header(r, "Content-Length")).isEqualTo(Integer.toString(r.body().getBytes(StandardCharsets.ISO_8859_1).length));
        String boundary = type.substring(type.indexOf('=') + 1);
        List<String[]> parts = parts(r.body(), boundary);
        int n = whole.length();
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0)).containsExactly("bytes 0-1/" + n, whole.substring(0, 2));
        assertThat(parts.get(1)).containsExactly("bytes 5-6/" + n, whole.substring(5, 7));
        assertThat(parts.get(2)).containsExactly("bytes " + (n - 2) + "-" + (n - 1) + "/" + n, whole.substring(n - 2));
        assertThat(r.body()).contains("Content-Type: text/plain");
    }

    /** The parts of a multipart/byteranges body: {Content-Range, content}. */
    static List<String[]> parts(String body, String boundary) {
        List<String[]> out = new ArrayList<>();
        Matcher m = Pattern.compile("--" + Pattern.quote(boundary) + "\r\n(.*?)\r\n\r\n(.*?)\r\n(?=--" + Pattern.quote(boundary) + ")",
                Pattern.DOTALL).matcher(body);
        while (m.find()) {
            Matcher cr = Pattern.compile("Content-Range: (.*)").matcher(m.group(1));
            out.add(new String[] {cr.find() ? cr.group(1).trim() : null, m.group(2)});
        }
        assertThat(body).endsWith("--" + boundary + "--\r\n");
        return out;
    }

    @Test
    void ifRangeWithTheStoredStrongTagOrDateGetsThePart() {
        assertThat(edge.get("/alphabet", "Range", "bytes=0-2", "If-Range", "\"abc\"").statusCode()).isEqualTo(206);
        assertThat(edge.get("/alphabet", "Range", "bytes=0-2", "If-Range", LAST_MODIFIED).statusCode()).isEqualTo(206);
        assertThat(edge.get("/large", "Range", "bytes=0-2", "If-Range", "\"abc\"").statusCode()).isEqualTo(206);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"other\"", "W/\"abc\"", "Thu, 01 Jan 1970 00:00:00 GMT", "garbage"})
    void ifRangeThatDoesNotMatchGetsTheWholeResponse(String ifRange) {
        HttpResponse<String> r = edge.get("/alphabet", "Range", "bytes=0-2", "If-Range", ifRange);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(ALPHABET);
        HttpResponse<String> large = edge.get("/large", "Range", "bytes=0-2", "If-Range", ifRange);
        assertThat(large.statusCode()).isEqualTo(200);
        assertThat(large.body()).isEqualTo(LARGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/alphabet", "/large"})
    void nothingSatisfiableIs416(String path) {
        String whole = path.equals("/large") ? LARGE : ALPHABET;
        HttpResponse<String> r = edge.get(path, "Range", "bytes=300000-300010");
        assertThat(r.statusCode()).isEqualTo(416);
        assertThat(header(r, "Content-Range")).isEqualTo("bytes */" + whole.length());
        assertThat(r.body()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=abc", "items=0-5", "bytes=5-1", "bytes=--1", "bytes=0-1-2", "bytes", "0-5", "bytes=1.5-3"})
    void anInvalidRangeGetsTheWholeResponse(String range) {
        HttpResponse<String> r = edge.get("/alphabet", "Range", range);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(ALPHABET);
        assertThat(header(r, "Accept-Ranges")).isEqualTo("bytes");
    }

    @Test
    void aRangeOnAStoredErrorIsIgnored() {
        origin.stubFor(get("/gone").willReturn(aResponse().withStatus(404).withHeader("Cache-Control", "max-age=5").withBody("nothing")));
        edge.get("/gone");
        HttpResponse<String> r = edge.get("/gone", "Range", "bytes=0-1");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("nothing");
    }

    @Test
    void aRangeMissFetchesAndStoresTheWholeObject() {
        origin.stubFor(get("/small-miss").willReturn(aResponse().withHeader("Cache-Control", "max-age=600").withBody(ALPHABET)));
        HttpResponse<String> r = edge.get("/small-miss", "Range", "bytes=3-5");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo("def");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=600");
        // asked as the first 1 MiB slice (slice-size); this origin ignores Range and answers 200,
        // which is stored whole, with no second request
        origin.verify(getRequestedFor(urlEqualTo("/small-miss")).withHeader("Range", equalTo("bytes=0-1048575")));
        // the part may be answered before the rest is stored: requests meanwhile read the fill
        Await.until("the whole object stored", Duration.ofSeconds(10),
                () -> cacheStatus(edge.get("/small-miss", "Range", "bytes=0-0")).startsWith("edge-test; hit"));
        HttpResponse<String> whole = edge.get("/small-miss");
        assertThat(whole.body()).isEqualTo(ALPHABET);
        assertThat(cacheStatus(whole)).startsWith("edge-test; hit");
        assertThat(originCount("/small-miss")).isEqualTo(1);
    }

    /** Bytes of {@link #LARGE} the slow origin sends before it stops: two chunks. */
    static final int SENT_FIRST = 32 * 1024;

    /** An edge like the class's, in front of {@code origin}. */
    private static TestEdge edgeBefore(RawOrigin origin) {
        return TestEdge.withOrigin(origin.url()).clock(CLOCK).yaml("cache: {memory-max-object: 64KiB, chunk-size: 16KiB}").start();
    }

    private static String slowHead(String framing) {
        return "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nDate: " + HttpDates.format(CLOCK.millis()) + "\r\n" + framing
                + "\r\n\r\n";
    }

    @Test
    void aRangeMissOnALargeObjectIsAnsweredAsSoonAsItsBytesArrive() throws Exception {
        // the origin sends the first two chunks, then holds the rest until the range is answered
        CountDownLatch rest = new CountDownLatch(1);
        try (RawOrigin slow = new RawOrigin(slowHead("Content-Length: " + LARGE.length()) + LARGE.substring(0, SENT_FIRST)
                        + RawOrigin.PAUSE + LARGE.substring(SENT_FIRST)).pauseUntil(rest);
             TestEdge edge = edgeBefore(slow); HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(edge.uri("/slow-large"))
                    .header("Range", "bytes=0-99").timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofInputStream());
            byte[] part;
            try (InputStream in = r.body()) {
                part = in.readAllBytes();
            }
            // answered while the origin still holds the rest of the object: only the test lets it go on
            assertThat(r.statusCode()).isEqualTo(206);
            assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 0-99/" + LARGE.length());
            assertThat(new String(part, StandardCharsets.ISO_8859_1)).isEqualTo(LARGE.substring(0, 100));
            rest.countDown();
            // the node kept streaming the whole object into the cache
            Await.until("the whole object stored", Duration.ofSeconds(15),
                    () -> cacheStatus(edge.get("/slow-large", "Range", "bytes=0-0")).startsWith("edge-test; hit"));
            HttpResponse<String> whole = edge.get("/slow-large");
            assertThat(whole.body()).isEqualTo(LARGE);
            assertThat(slow.count()).isEqualTo(1);
        }
    }

    @Test
    void aRangeMissOnAnObjectOfUnknownLengthIsAnsweredWhenItsBytesArrive() throws Exception {
        // chunked, no Content-Length: the complete length is only known at the end
        CountDownLatch rest = new CountDownLatch(1);
        try (RawOrigin slow = new RawOrigin(slowHead("Transfer-Encoding: chunked") + RawOrigin.chunk(LARGE.substring(0, SENT_FIRST))
                        + RawOrigin.PAUSE + RawOrigin.chunk(LARGE.substring(SENT_FIRST)) + "0\r\n\r\n").pauseUntil(rest);
             TestEdge edge = edgeBefore(slow)) {
            HttpResponse<String> r = edge.get("/slow-chunked", "Range", "bytes=10-19");
            // answered while the origin still holds the rest of the object: only the test lets it go on
            assertThat(r.statusCode()).isEqualTo(206);
            assertThat(header(r, "Content-Range")).isEqualTo("bytes 10-19/*");
            assertThat(r.body()).isEqualTo(LARGE.substring(10, 20));
            rest.countDown();
            // once the object is in, its length is known again
            Await.until("the whole object stored", Duration.ofSeconds(15),
                    () -> cacheStatus(edge.get("/slow-chunked", "Range", "bytes=0-0")).startsWith("edge-test; hit"));
            assertThat(header(edge.get("/slow-chunked", "Range", "bytes=10-19"), "Content-Range"))
                    .isEqualTo("bytes 10-19/" + LARGE.length());
            assertThat(slow.count()).isEqualTo(1);
        }
    }

    @Test
    void headWithARangeGetsThePartsHead() {
        HttpResponse<String> r = edge.send("HEAD", "/alphabet", null, "Range", "bytes=2-3");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(header(r, "Content-Range")).isEqualTo("bytes 2-3/26");
        assertThat(r.body()).isEmpty();
    }
}

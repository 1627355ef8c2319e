package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.compress.Decoded;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Compression at the edge (a rule's {@code compress} block) over real sockets: the encoding
 * chosen per Accept-Encoding and q-values, the encoded variants stored and hit without the
 * origin, identity clients served identity, what is left alone, Vary merged, ETags suffixed and
 * revalidated with the origin's own, ranges over the encoded representation, purges of every
 * variant, and a chunked origin body encoded while it streams.
 */
class CompressionTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                rules:
                  - match: {path-prefix: /c/}
                    compress: {enabled: true, min-size: 1KiB}
                  - match: {path-prefix: /gz/}
                    compress: {enabled: true, encodings: [gzip], level: 9}
                """));

    static String text(int size, long seed) {
        StringBuilder sb = new StringBuilder();
        Random r = new Random(seed);
        String[] words = {"edge", "cache", "origin", "vary", "encoding", "stale", "purge", "shield", "range", "etag"};
        while (sb.length() < size) {
            sb.append(words[r.nextInt(words.length)]).append(r.nextInt(10) == 0 ? ".\n" : " ");
        }
        return sb.substring(0, size);
    }

    private static void stubText(String path, String body, String... headers) {
        var resp = aResponse().withHeader("Content-Type", "text/plain; charset=utf-8")
                .withHeader("Content-Length", Integer.toString(body.getBytes(StandardCharsets.UTF_8).length))
                .withHeader("Cache-Control", "max-age=60").withBody(body);
        for (int i = 0; i < headers.length; i += 2) {
            resp = resp.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(get(path).willReturn(resp));
    }

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static String decoded(HttpResponse<byte[]> r) {
        String enc = r.headers().firstValue("Content-Encoding").orElse("identity");
        return new String(Decoded.decode(enc, r.body()), StandardCharsets.UTF_8);
    }

    @Test
    void theEncodingFollowsAcceptEncodingAndEachVariantIsStored() {
        String body = text(20_000, 1);
        stubText("/c/a.txt", body, "ETag", "\"v1\"");

        HttpResponse<byte[]> gzip = edge.getBytes("/c/a.txt", "Accept-Encoding", "gzip, deflate");
        assertThat(gzip.statusCode()).isEqualTo(200);
        assertThat(header(gzip, "Content-Encoding")).isEqualTo("gzip");
        assertThat(header(gzip, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(header(gzip, "ETag")).isEqualTo("\"v1-gzip\"");
        assertThat(cacheStatus(gzip)).contains("fwd=miss").contains("stored");
        assertThat(decoded(gzip)).isEqualTo(body);
        assertThat(gzip.body().length).isLessThan(body.length() / 2);

        HttpResponse<byte[]> gzipHit = edge.getBytes("/c/a.txt", "Accept-Encoding", "x-gzip");
        assertThat(cacheStatus(gzipHit)).contains("hit");
        assertThat(gzipHit.body()).isEqualTo(gzip.body());
        assertThat(header(gzipHit, "Content-Length")).isEqualTo(Integer.toString(gzip.body().length));

        HttpResponse<byte[]> br = edge.getBytes("/c/a.txt", "Accept-Encoding", "gzip, deflate, br, zstd");
        assertThat(header(br, "Content-Encoding")).isEqualTo("br");
        assertThat(header(br, "ETag")).isEqualTo("\"v1-br\"");
        assertThat(decoded(br)).isEqualTo(body);

        HttpResponse<byte[]> zstd = edge.getBytes("/c/a.txt", "Accept-Encoding", "br;q=0.5, zstd;q=0.8, gzip;q=0.7");
        assertThat(header(zstd, "Content-Encoding")).isEqualTo("zstd");
        assertThat(decoded(zstd)).isEqualTo(body);

        HttpResponse<byte[]> plain = edge.getBytes("/c/a.txt");
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(header(plain, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(header(plain, "ETag")).isEqualTo("\"v1\"");
        assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(originCount("/c/a.txt")).isEqualTo(4);

        // the origin is asked with the one encoding chosen for the client
        for (String asked : new String[] {"gzip", "br", "zstd", "identity"}) {
            assertThat(origin.findAll(getRequestedFor(urlEqualTo("/c/a.txt")).withHeader("Accept-Encoding", equalTo(asked))))
                    .hasSize(1);
        }
        // every variant is now a hit, whatever the spelling of the header
        for (String ae : new String[] {"gzip", "br", "zstd", "identity", "br;q=0, zstd;q=0, *"}) {
            assertThat(cacheStatus(edge.getBytes("/c/a.txt", "Accept-Encoding", ae))).as(ae).contains("hit");
        }
        HttpResponse<byte[]> refused = edge.getBytes("/c/a.txt", "Accept-Encoding", "gzip;q=0, br;q=0, zstd;q=0");
        assertThat(refused.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(cacheStatus(refused)).contains("hit");
        assertThat(originCount("/c/a.txt")).isEqualTo(4);
        assertThat(edge.metric("outpost_compressions_total", "encoding", "gzip")).isGreaterThanOrEqualTo(1);
        assertThat(edge.metric("outpost_compression_bytes_in_total")).isGreaterThanOrEqualTo(3 * 20_000);
        assertThat(edge.metric("outpost_compression_bytes_out_total")).isPositive();
        assertThat(edge.metric("outpost_compression_seconds_total")).isPositive();
    }

    @Test
    void aRuleLimitsTheEncodings() {
        String body = text(8_000, 2);
        stubText("/gz/b.css", body);
        HttpResponse<byte[]> r = edge.getBytes("/gz/b.css", "Accept-Encoding", "br, zstd, gzip;q=0.1");
        assertThat(header(r, "Content-Encoding")).isEqualTo("gzip");
        assertThat(decoded(r)).isEqualTo(body);
        HttpResponse<byte[]> onlyBr = edge.getBytes("/gz/b.css", "Accept-Encoding", "br");
        assertThat(onlyBr.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(new String(onlyBr.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void whatDoesNotQualifyIsLeftAlone() throws Exception {
        double before = edge.metric("outpost_compressions_total");
        stubText("/c/small.txt", "tiny body");
        HttpResponse<byte[]> small = edge.getBytes("/c/small.txt", "Accept-Encoding", "gzip");
        assertThat(small.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(small.headers().firstValue("Vary")).isEmpty();
        assertThat(new String(small.body(), StandardCharsets.UTF_8)).isEqualTo("tiny body");

        byte[] png = new byte[5000];
        new Random(3).nextBytes(png);
        origin.stubFor(get("/c/p.png").willReturn(aResponse().withHeader("Content-Type", "image/png")
                .withHeader("Cache-Control", "max-age=60").withBody(png)));
        HttpResponse<byte[]> image = edge.getBytes("/c/p.png", "Accept-Encoding", "gzip, br");
        assertThat(image.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(image.body()).isEqualTo(png);

        String body = text(6000, 4);
        origin.stubFor(get("/c/nt.txt").willReturn(aResponse().withHeader("Content-Type", "text/plain")
                .withHeader("Cache-Control", "max-age=60, no-transform").withBody(body)));
        HttpResponse<byte[]> noTransform = edge.getBytes("/c/nt.txt", "Accept-Encoding", "gzip");
        assertThat(noTransform.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(new String(noTransform.body(), StandardCharsets.UTF_8)).isEqualTo(body);

        // the origin encodes by itself when asked: its bytes are passed on and stored as they are
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
        origin.stubFor(get("/c/self.txt").withHeader("Accept-Encoding", equalTo("gzip")).willReturn(aResponse()
                .withHeader("Content-Type", "text/plain").withHeader("Cache-Control", "max-age=60")
                .withHeader("Content-Encoding", "gzip").withHeader("Vary", "Accept-Encoding").withBody(gz.toByteArray())));
        HttpResponse<byte[]> self = edge.getBytes("/c/self.txt", "Accept-Encoding", "gzip");
        assertThat(header(self, "Content-Encoding")).isEqualTo("gzip");
        assertThat(self.body()).isEqualTo(gz.toByteArray());
        assertThat(edge.metric("outpost_compressions_total")).isEqualTo(before);

        // a client asking for no transformation gets the identity variant
        stubText("/c/keep.txt", body);
        HttpResponse<byte[]> kept = edge.getBytes("/c/keep.txt", "Accept-Encoding", "gzip", "Cache-Control", "no-transform");
        assertThat(kept.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(header(kept, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(new String(kept.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(origin.findAll(getRequestedFor(urlEqualTo("/c/keep.txt")).withHeader("Accept-Encoding", equalTo("identity"))))
                .hasSize(1);
    }

    @Test
    void aClientThatAcceptsNoneOfTheOriginsEncodingGetsItDecoded() throws Exception {
        String body = text(30_000, 12);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
        // an origin that sends gzip whatever it is asked (as a store of pre-compressed files may)
        origin.stubFor(get("/c/always-gz.txt").withHeader("If-None-Match", absent()).willReturn(aResponse()
                .withHeader("Content-Type", "text/plain").withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"d1\"").withHeader("Content-Encoding", "gzip").withBody(gz.toByteArray())));
        origin.stubFor(get("/c/always-gz.txt").withHeader("If-None-Match", equalTo("\"d1\"")).willReturn(aResponse()
                .withStatus(304).withHeader("Cache-Control", "max-age=60").withHeader("ETag", "\"d1\"")));
        double decoded = edge.metric("outpost_decompressions_total", "encoding", "gzip");

        HttpResponse<byte[]> plain = edge.getBytes("/c/always-gz.txt", "Accept-Encoding", "identity");
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(header(plain, "ETag")).isEqualTo("\"d1-identity\"");
        assertThat(header(plain, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(edge.metric("outpost_decompressions_total", "encoding", "gzip") - (Double.isNaN(decoded) ? 0 : decoded))
                .isEqualTo(1);

        HttpResponse<byte[]> gzip = edge.getBytes("/c/always-gz.txt", "Accept-Encoding", "gzip");
        assertThat(header(gzip, "Content-Encoding")).isEqualTo("gzip");
        assertThat(gzip.body()).isEqualTo(gz.toByteArray());
        assertThat(header(gzip, "ETag")).isEqualTo("\"d1\"");
        assertThat(cacheStatus(edge.getBytes("/c/always-gz.txt"))).contains("hit");
        assertThat(originCount("/c/always-gz.txt")).isEqualTo(2);

        // revalidated with the origin's own tag; the decoded variant keeps its own
        CLOCK.advanceSeconds(11);
        HttpResponse<byte[]> revalidated = edge.getBytes("/c/always-gz.txt");
        assertThat(cacheStatus(revalidated)).contains("fwd-status=304");
        assertThat(header(revalidated, "ETag")).isEqualTo("\"d1-identity\"");
        assertThat(new String(revalidated.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void varyIsMergedWithTheOrigins() {
        String body = text(5000, 5);
        stubText("/c/v.txt", body, "Vary", "Origin");
        HttpResponse<byte[]> r = edge.getBytes("/c/v.txt", "Accept-Encoding", "gzip", "Origin", "https://a.example");
        assertThat(header(r, "Content-Encoding")).isEqualTo("gzip");
        assertThat(r.headers().allValues("Vary")).containsExactly("Origin, Accept-Encoding");
        assertThat(cacheStatus(edge.getBytes("/c/v.txt", "Accept-Encoding", "gzip", "Origin", "https://a.example"))).contains("hit");
        assertThat(cacheStatus(edge.getBytes("/c/v.txt", "Accept-Encoding", "gzip", "Origin", "https://b.example")))
                .contains("fwd=");
    }

    @Test
    void revalidationUsesTheOriginsEtagAndA304RefreshesTheVariant() {
        String body = text(9000, 6);
        origin.stubFor(get("/c/r.txt").withHeader("If-None-Match", absent()).willReturn(aResponse()
                .withHeader("Content-Type", "text/plain").withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"r1\"").withBody(body)));
        origin.stubFor(get("/c/r.txt").withHeader("If-None-Match", equalTo("\"r1\"")).willReturn(aResponse().withStatus(304)
                .withHeader("Cache-Control", "max-age=60").withHeader("ETag", "\"r1\"")));
        HttpResponse<byte[]> first = edge.getBytes("/c/r.txt", "Accept-Encoding", "br");
        assertThat(header(first, "ETag")).isEqualTo("\"r1-br\"");

        // the client's own validator of the encoded variant is answered by the edge
        HttpResponse<byte[]> notModified = edge.getBytes("/c/r.txt", "Accept-Encoding", "br", "If-None-Match", "\"r1-br\"");
        assertThat(notModified.statusCode()).isEqualTo(304);
        HttpResponse<byte[]> otherTag = edge.getBytes("/c/r.txt", "Accept-Encoding", "br", "If-None-Match", "\"r1-gzip\"");
        assertThat(otherTag.statusCode()).isEqualTo(200);

        CLOCK.advanceSeconds(11);
        HttpResponse<byte[]> revalidated = edge.getBytes("/c/r.txt", "Accept-Encoding", "br");
        assertThat(revalidated.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(revalidated)).contains("fwd=stale").contains("fwd-status=304");
        assertThat(header(revalidated, "ETag")).isEqualTo("\"r1-br\"");
        assertThat(header(revalidated, "Content-Encoding")).isEqualTo("br");
        assertThat(header(revalidated, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(decoded(revalidated)).isEqualTo(body);
        assertThat(origin.findAll(getRequestedFor(urlEqualTo("/c/r.txt")).withHeader("If-None-Match", equalTo("\"r1\""))))
                .hasSize(1);
        assertThat(origin.findAll(getRequestedFor(urlEqualTo("/c/r.txt")).withHeader("If-None-Match", equalTo("\"r1-br\""))))
                .isEmpty();
        // refreshed: fresh again, a hit
        HttpResponse<byte[]> hit = edge.getBytes("/c/r.txt", "Accept-Encoding", "br");
        assertThat(cacheStatus(hit)).contains("hit");
        assertThat(header(hit, "ETag")).isEqualTo("\"r1-br\"");
        assertThat(originCount("/c/r.txt")).isEqualTo(2);
    }

    @Test
    void rangesApplyToTheEncodedRepresentation() {
        String body = text(40_000, 7);
        stubText("/c/range.txt", body, "ETag", "\"g1\"");
        HttpResponse<byte[]> miss = edge.getBytes("/c/range.txt", "Accept-Encoding", "gzip", "Range", "bytes=0-99");
        HttpResponse<byte[]> whole = edge.getBytes("/c/range.txt", "Accept-Encoding", "gzip");
        assertThat(cacheStatus(whole)).contains("hit");
        assertThat(decoded(whole)).isEqualTo(body);
        int n = whole.body().length;
        assertThat(miss.statusCode()).isEqualTo(206);
        assertThat(miss.body()).isEqualTo(Arrays.copyOfRange(whole.body(), 0, 100));

        HttpResponse<byte[]> tail = edge.getBytes("/c/range.txt", "Accept-Encoding", "gzip", "Range", "bytes=-50");
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(header(tail, "Content-Range")).isEqualTo("bytes " + (n - 50) + "-" + (n - 1) + "/" + n);
        assertThat(header(tail, "Content-Encoding")).isEqualTo("gzip");
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(whole.body(), n - 50, n));

        // If-Range with the encoded variant's tag selects it; the identity tag does not
        HttpResponse<byte[]> ifRange = edge.getBytes("/c/range.txt", "Accept-Encoding", "gzip", "Range", "bytes=10-19",
                "If-Range", "\"g1-gzip\"");
        assertThat(ifRange.statusCode()).isEqualTo(206);
        HttpResponse<byte[]> otherTag = edge.getBytes("/c/range.txt", "Accept-Encoding", "gzip", "Range", "bytes=10-19",
                "If-Range", "\"g1\"");
        assertThat(otherTag.statusCode()).isEqualTo(200);

        HttpResponse<byte[]> plainRange = edge.getBytes("/c/range.txt", "Range", "bytes=0-9");
        assertThat(plainRange.statusCode()).isEqualTo(206);
        assertThat(new String(plainRange.body(), StandardCharsets.UTF_8)).isEqualTo(body.substring(0, 10));
    }

    @Test
    void aHeadForAnEncodingNamesTheEncodedRepresentation() {
        String body = text(7000, 10);
        stubText("/c/head.txt", body, "ETag", "\"h1\"");
        HttpResponse<String> miss = edge.send("HEAD", "/c/head.txt", null, "Accept-Encoding", "gzip");
        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(miss.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(miss.body()).isEmpty();
        // the HEAD was fetched as a GET and stored: the GET that follows is a hit, or joins the
        // fill when it comes while the body is still being encoded; either way no origin request
        HttpResponse<byte[]> head = edge.getBytes("/c/head.txt", "Accept-Encoding", "gzip");
        assertThat(cacheStatus(head)).containsAnyOf("hit", "collapsed");
        assertThat(header(head, "Content-Encoding")).isEqualTo("gzip");
        assertThat(decoded(head)).isEqualTo(body);
        assertThat(originCount("/c/head.txt")).isEqualTo(1);
        HttpResponse<String> again = edge.send("HEAD", "/c/head.txt", null, "Accept-Encoding", "gzip");
        assertThat(again.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(again.headers().firstValue("ETag")).contains("\"h1-gzip\"");
        assertThat(again.headers().firstValue("Content-Length")).contains(Integer.toString(head.body().length));
        assertThat(again.body()).isEmpty();
    }

    @Test
    void encodedVariantsSurviveARestart() {
        String body = text(12_000, 11);
        stubText("/c/restart.txt", body, "ETag", "\"s1\"");
        HttpResponse<byte[]> before = edge.getBytes("/c/restart.txt", "Accept-Encoding", "zstd");
        assertThat(header(before, "Content-Encoding")).isEqualTo("zstd");
        edge.restart();
        HttpResponse<byte[]> after = edge.getBytes("/c/restart.txt", "Accept-Encoding", "zstd");
        assertThat(cacheStatus(after)).contains("hit");
        assertThat(after.body()).isEqualTo(before.body());
        assertThat(header(after, "ETag")).isEqualTo("\"s1-zstd\"");
        assertThat(decoded(after)).isEqualTo(body);
        assertThat(originCount("/c/restart.txt")).isEqualTo(1);
    }

    @Test
    void aPurgeRemovesEveryVariant() {
        stubText("/c/purge.txt", text(5000, 8));
        for (String ae : new String[] {"gzip", "br", "zstd", "identity"}) {
            edge.getBytes("/c/purge.txt", "Accept-Encoding", ae);
        }
        assertThat(originCount("/c/purge.txt")).isEqualTo(4);
        String host = "127.0.0.1:" + edge.port();
        HttpResponse<String> purged = edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"http://" + host + "/c/purge.txt\"]}");
        assertThat(purged.statusCode()).isEqualTo(200);
        for (String ae : new String[] {"gzip", "br", "zstd", "identity"}) {
            assertThat(cacheStatus(edge.getBytes("/c/purge.txt", "Accept-Encoding", ae))).as(ae).contains("fwd=");
        }
        assertThat(originCount("/c/purge.txt")).isEqualTo(8);
    }

    @Test
    void aChunkedBodyOfUnknownLengthIsEncodedWhileItStreams() {
        String body = text(300_000, 9);
        origin.stubFor(get("/c/chunked.txt").willReturn(aResponse().withHeader("Content-Type", "application/json")
                .withHeader("Cache-Control", "max-age=60").withBody(body).withChunkedDribbleDelay(30, 600)));
        double in = edge.metric("outpost_compression_bytes_in_total");
        HttpResponse<byte[]> r = edge.getBytes("/c/chunked.txt", "Accept-Encoding", "zstd");
        assertThat(header(r, "Content-Encoding")).isEqualTo("zstd");
        assertThat(decoded(r)).isEqualTo(body);
        assertThat(edge.metric("outpost_compression_bytes_in_total") - in).isEqualTo(300_000);
        HttpResponse<byte[]> hit = edge.getBytes("/c/chunked.txt", "Accept-Encoding", "zstd");
        assertThat(cacheStatus(hit)).contains("hit");
        assertThat(hit.body()).isEqualTo(r.body());
    }
}

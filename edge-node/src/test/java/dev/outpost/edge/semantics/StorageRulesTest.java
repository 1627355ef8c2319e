package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.RawHttp;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a shared cache must not store (RFC 9111 §3, §3.3, §3.5): responses to requests with
 * Authorization unless the response allows it, responses with Set-Cookie unless a rule allows
 * it, responses to unsafe methods, responses to requests with no-store, and responses whose
 * body ended early (Content-Length not reached, broken or cut chunking).
 */
class StorageRulesTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                rules:
                  - match: {path-prefix: /cookie-ok/}
                    cache-set-cookie: true
                  - match: {path-prefix: /broken/}
                    ttl: 60s
                """));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    /**
     * Sends a GET over a raw socket (an HTTP client library would retry it) and tells whether
     * the edge cut the response off: connection closed before the announced length or the
     * last chunk.
     */
    static boolean incomplete(TestEdge e, String path) {
        RawHttp.Exchange ex = RawHttp.send(e.port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 10_000);
        if (!ex.closed()) {
            return false;
        }
        String r = ex.response();
        int end = r.indexOf("\r\n\r\n");
        if (end < 0) {
            return true; // not even a head
        }
        String head = r.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        String body = r.substring(end + 4);
        var m = java.util.regex.Pattern.compile("content-length: *(\\d+)").matcher(head);
        if (m.find()) {
            return body.length() < Integer.parseInt(m.group(1));
        }
        return head.contains("transfer-encoding: chunked") && !body.endsWith("0\r\n\r\n");
    }

    @Test
    void responsesToAuthorizedRequestsAreNotStoredByDefault() {
        origin.stubFor(get("/auth/plain").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("mine")));
        HttpResponse<String> first = edge.get("/auth/plain", "Authorization", "Bearer a");
        assertThat(first.body()).isEqualTo("mine");
        assertThat(cacheStatus(first)).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=authorization");
        assertThat(cacheStatus(edge.get("/auth/plain", "Authorization", "Bearer b"))).startsWith("edge-test; fwd=miss");
        assertThat(originCount("/auth/plain")).isEqualTo(2);
        // the refusal is about that request, not the URL: anonymous requests still get cached
        assertThat(cacheStatus(edge.get("/auth/plain"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        assertThat(cacheStatus(edge.get("/auth/plain"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/auth/plain")).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"public, max-age=60", "s-maxage=60", "must-revalidate, max-age=60"})
    void responsesToAuthorizedRequestsAreStoredWhenTheResponseAllowsIt(String cacheControl) {
        String path = "/auth/allowed-" + cacheControl.replaceAll("[^a-z0-9]", "");
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", cacheControl).withBody("shared")));
        assertThat(cacheStatus(edge.get(path, "Authorization", "Bearer a"))).endsWith("stored; ttl=60");
        HttpResponse<String> hit = edge.get(path, "Authorization", "Bearer b");
        assertThat(hit.body()).isEqualTo("shared");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount(path)).isEqualTo(1);
    }

    @Test
    void responsesWithSetCookieAreNotStored() {
        origin.stubFor(get("/cookie").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Set-Cookie", "id=1").withBody("c")));
        HttpResponse<String> first = edge.get("/cookie");
        assertThat(header(first, "Set-Cookie")).isEqualTo("id=1");
        assertThat(cacheStatus(first)).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=set-cookie");
        HttpResponse<String> second = edge.get("/cookie");
        assertThat(cacheStatus(second)).isEqualTo("edge-test; fwd=bypass; detail=hit-for-pass; fwd-status=200");
        assertThat(originCount("/cookie")).isEqualTo(2);
    }

    @Test
    void aRuleMayAllowStoringSetCookie() {
        origin.stubFor(get("/cookie-ok/a").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Set-Cookie", "theme=dark").withBody("c")));
        assertThat(cacheStatus(edge.get("/cookie-ok/a"))).endsWith("stored; ttl=60");
        HttpResponse<String> hit = edge.get("/cookie-ok/a");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(header(hit, "Set-Cookie")).isEqualTo("theme=dark");
        assertThat(originCount("/cookie-ok/a")).isEqualTo(1);
    }

    @Test
    void responsesToUnsafeMethodsAreNotStored() {
        origin.stubFor(any(urlEqualTo("/unsafe")).willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("u")));
        for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
            HttpResponse<String> r = edge.send(method, "/unsafe", "x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(cacheStatus(r)).as(method).isEqualTo("edge-test; fwd=method; fwd-status=200");
        }
        assertThat(cacheStatus(edge.get("/unsafe"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        assertThat(originCount("/unsafe")).isEqualTo(1);
    }

    @Test
    void aRequestWithNoStoreIsNotStoredButOthersStillAre() {
        origin.stubFor(get("/request-no-store").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("n")));
        HttpResponse<String> first = edge.get("/request-no-store", "Cache-Control", "no-store");
        assertThat(cacheStatus(first)).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=request-no-store");
        assertThat(cacheStatus(edge.get("/request-no-store"))).endsWith("stored; ttl=60");
        assertThat(cacheStatus(edge.get("/request-no-store"))).isEqualTo("edge-test; hit; ttl=60");
    }

    @Test
    void aBodyShorterThanItsContentLengthIsNotStored() {
        String shortBody = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nCache-Control: max-age=60\r\nConnection: close\r\n\r\n0123456789";
        String whole = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nCache-Control: max-age=60\r\nConnection: close\r\n\r\n0123456789";
        try (RawOrigin raw = new RawOrigin(shortBody, whole);
             TestEdge e = TestEdge.withOrigin(raw.url()).clock(CLOCK).start()) {
            // a small body is read whole before anything is sent: the client gets a clean 502,
            // never a short one passed off as whole
            RawHttp.Exchange first = RawHttp.send(e.port(), "GET /short HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n\r\n", 10_000);
            assertThat(first.status()).as(first.response()).isEqualTo(502);
            HttpResponse<String> again = e.get("/short");
            assertThat(again.body()).isEqualTo("0123456789");
            assertThat(cacheStatus(again)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
            assertThat(cacheStatus(e.get("/short"))).isEqualTo("edge-test; hit; ttl=60");
            assertThat(raw.count()).isEqualTo(2);
        }
    }

    @Test
    void chunkingCutBeforeTheLastChunkIsNotStored() {
        String cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=60\r\nConnection: close\r\n\r\n"
                + "5\r\nhello\r\n5\r\nwor";
        String whole = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nCache-Control: max-age=60\r\nConnection: close\r\n\r\n"
                + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        try (RawOrigin raw = new RawOrigin(cut, whole);
             TestEdge e = TestEdge.withOrigin(raw.url()).clock(CLOCK).start()) {
            assertThat(incomplete(e, "/cut")).isTrue();
            HttpResponse<String> again = e.get("/cut");
            assertThat(again.body()).isEqualTo("helloworld");
            assertThat(cacheStatus(again)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
            assertThat(cacheStatus(e.get("/cut"))).isEqualTo("edge-test; hit; ttl=60");
            assertThat(raw.count()).isEqualTo(2);
        }
    }

    @Test
    void aMalformedChunkIsNotStored() {
        origin.stubFor(get("/broken/chunk").willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));
        // the first chunk fails before any body byte went out: a clean 502, never a whole 200
        RawHttp.Exchange first = RawHttp.send(edge.port(), "GET /broken/chunk HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n", 10_000);
        assertThat(first.status()).as(first.response()).isEqualTo(502);
        origin.stubFor(get("/broken/chunk").willReturn(aResponse().withBody("fine")));
        HttpResponse<String> again = edge.get("/broken/chunk");
        assertThat(again.body()).isEqualTo("fine");
        assertThat(cacheStatus(again)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        assertThat(originCount("/broken/chunk")).isEqualTo(2);
    }

    @Test
    void randomDataIsABadGatewayAndNothingIsStored() {
        origin.stubFor(get("/broken/random").willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)));
        HttpResponse<String> bad = edge.get("/broken/random");
        assertThat(bad.statusCode()).isEqualTo(502);
        assertThat(cacheStatus(bad)).startsWith("edge-test; fwd=miss; detail=");
        origin.stubFor(get("/broken/random").willReturn(aResponse().withBody("fine")));
        assertThat(cacheStatus(edge.get("/broken/random"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        assertThat(originCount("/broken/random")).isGreaterThanOrEqualTo(2);
    }
}

package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
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
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Validation (RFC 9111 §4.3): a stale entry with validators is revalidated with
 * If-None-Match / If-Modified-Since; a 304 freshens the stored header fields (§3.2, §4.3.4)
 * and the stored body is served; a 200 replaces the entry.
 */
class ValidationTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    @Test
    void a304FreshensTheStoredHeadersAndTheStoredBodyIsServed() {
        origin.stubFor(get("/etag").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"v1\"")
                .withHeader("Content-Type", "text/plain").withHeader("X-Version", "1").withHeader("X-Untouched", "u")
                .withBody("the stored body")));
        edge.get("/etag");
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/etag").withHeader("If-None-Match", equalTo("\"v1\"")).willReturn(aResponse().withStatus(304)
                .withHeader("ETag", "\"v1\"").withHeader("Cache-Control", "max-age=120").withHeader("X-Version", "2")));
        double revalidatedBefore = edge.metric("outpost_requests_total", "cache", "revalidated");
        HttpResponse<String> r = edge.get("/etag");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("the stored body");
        assertThat(header(r, "Content-Length")).isEqualTo("15");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=304; ttl=120; detail=revalidated");
        assertThat(header(r, "X-Version")).isEqualTo("2");
        assertThat(header(r, "X-Untouched")).isEqualTo("u");
        assertThat(header(r, "Cache-Control")).isEqualTo("max-age=120");
        assertThat(header(r, "Content-Type")).isEqualTo("text/plain");
        assertThat(r.headers().allValues("X-Version")).hasSize(1);
        // counted once the exchange is finished, which may be just after the client has its answer
        Await.until("the revalidation counted", Duration.ofSeconds(5),
                () -> edge.metric("outpost_requests_total", "cache", "revalidated") == revalidatedBefore + 1);

        CLOCK.advanceSeconds(100);
        HttpResponse<String> hit = edge.get("/etag");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=20");
        assertThat(header(hit, "X-Version")).isEqualTo("2");
        assertThat(hit.body()).isEqualTo("the stored body");
        assertThat(originCount("/etag")).isEqualTo(2);
    }

    @Test
    void theFreshenedEntrySurvivesARestart() {
        origin.stubFor(get("/durable").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"d\"")
                .withHeader("X-Version", "1").withBody("durable")));
        // a fixed port: the Host (with its port) is part of the cache key
        try (TestEdge own = TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).flag("listen", "127.0.0.1:" + Ports.free()).start()) {
            own.get("/durable");
            CLOCK.advanceSeconds(11);
            origin.stubFor(get("/durable").withHeader("If-None-Match", equalTo("\"d\"")).willReturn(aResponse().withStatus(304)
                    .withHeader("ETag", "\"d\"").withHeader("Cache-Control", "max-age=300").withHeader("X-Version", "2")));
            assertThat(cacheStatus(own.get("/durable"))).contains("fwd-status=304");
            own.restart();
            HttpResponse<String> hit = own.get("/durable");
            assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=300");
            assertThat(header(hit, "X-Version")).isEqualTo("2");
            assertThat(hit.body()).isEqualTo("durable");
        }
    }

    @Test
    void lastModifiedIsSentAsIfModifiedSince() {
        String lm = date(CLOCK, -3600);
        origin.stubFor(get("/last-modified").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("Last-Modified", lm).withBody("lm")));
        edge.get("/last-modified");
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/last-modified").withHeader("If-Modified-Since", equalTo(lm))
                .willReturn(aResponse().withStatus(304).withHeader("Cache-Control", "max-age=10")));
        HttpResponse<String> r = edge.get("/last-modified");
        assertThat(r.body()).isEqualTo("lm");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=304; ttl=10; detail=revalidated");
        origin.verify(getRequestedFor(urlEqualTo("/last-modified")).withHeader("If-Modified-Since", equalTo(lm))
                .withHeader("If-None-Match", absent()));
    }

    @Test
    void bothValidatorsAreSentWhenBothAreKnown() {
        String lm = date(CLOCK, -60);
        origin.stubFor(get("/both").willReturn(aResponse().withHeader("Cache-Control", "max-age=1")
                .withHeader("Last-Modified", lm).withHeader("ETag", "W/\"weak\"").withBody("b")));
        edge.get("/both");
        CLOCK.advanceSeconds(2);
        origin.stubFor(get("/both").withHeader("If-None-Match", equalTo("W/\"weak\""))
                .willReturn(aResponse().withStatus(304)));
        assertThat(cacheStatus(edge.get("/both"))).contains("fwd-status=304");
        origin.verify(getRequestedFor(urlEqualTo("/both")).withHeader("If-None-Match", equalTo("W/\"weak\""))
                .withHeader("If-Modified-Since", equalTo(lm)));
    }

    @Test
    void a200ReplacesTheEntry() {
        origin.stubFor(get("/replaced").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"old\"")
                .withBody("old body")));
        edge.get("/replaced");
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/replaced").willReturn(aResponse().withHeader("Cache-Control", "max-age=50").withHeader("ETag", "\"new\"")
                .withBody("new body")));
        HttpResponse<String> r = edge.get("/replaced");
        assertThat(r.body()).isEqualTo("new body");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=200; stored; ttl=50");
        HttpResponse<String> hit = edge.get("/replaced");
        assertThat(hit.body()).isEqualTo("new body");
        assertThat(header(hit, "ETag")).isEqualTo("\"new\"");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=50");
        origin.verify(getRequestedFor(urlEqualTo("/replaced")).withHeader("If-None-Match", equalTo("\"old\"")));
    }

    @Test
    void a304ThatForbidsStorageRemovesTheEntry() {
        origin.stubFor(get("/now-private").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"p\"")
                .withBody("p")));
        edge.get("/now-private");
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/now-private").withHeader("If-None-Match", equalTo("\"p\"")).willReturn(aResponse().withStatus(304)
                .withHeader("Cache-Control", "no-store")));
        HttpResponse<String> r = edge.get("/now-private");
        assertThat(r.body()).isEqualTo("p");
        assertThat(header(r, "Cache-Control")).isEqualTo("no-store");
        origin.stubFor(get("/now-private").withHeader("If-None-Match", absent()).willReturn(aResponse()
                .withHeader("Cache-Control", "no-store").withBody("fresh from origin")));
        HttpResponse<String> next = edge.get("/now-private");
        assertThat(next.body()).isEqualTo("fresh from origin");
        assertThat(cacheStatus(next)).startsWith("edge-test; fwd=miss");
    }

    @Test
    void a304WithAnotherEntityTagDoesNotFreshenTheEntry() {
        origin.stubFor(get("/mismatch").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"a\"")
                .withBody("version a")));
        edge.get("/mismatch");
        CLOCK.advanceSeconds(11);
        // a confused origin answers 304 for another representation
        origin.stubFor(get("/mismatch").withHeader("If-None-Match", equalTo("\"a\"")).willReturn(aResponse().withStatus(304)
                .withHeader("ETag", "\"b\"").withHeader("Cache-Control", "max-age=600")));
        origin.stubFor(get("/mismatch").withHeader("If-None-Match", absent()).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600").withHeader("ETag", "\"b\"").withBody("version b")));
        HttpResponse<String> r = edge.get("/mismatch");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("version b");
        assertThat(header(r, "ETag")).isEqualTo("\"b\"");
        assertThat(cacheStatus(edge.get("/mismatch"))).isEqualTo("edge-test; hit; ttl=600");
        assertThat(edge.get("/mismatch").body()).isEqualTo("version b");
    }

    @Test
    void hopByHopFieldsOfThe304AreNotStored() {
        origin.stubFor(get("/hop").willReturn(aResponse().withHeader("Cache-Control", "max-age=1").withHeader("ETag", "\"h\"")
                .withBody("h")));
        edge.get("/hop");
        CLOCK.advanceSeconds(2);
        origin.stubFor(get("/hop").withHeader("If-None-Match", equalTo("\"h\"")).willReturn(aResponse().withStatus(304)
                .withHeader("Connection", "X-Private-Hop").withHeader("X-Private-Hop", "secret")
                .withHeader("Cache-Control", "max-age=60")));
        edge.get("/hop");
        HttpResponse<String> hit = edge.get("/hop");
        assertThat(cacheStatus(hit)).startsWith("edge-test; hit");
        assertThat(header(hit, "X-Private-Hop")).isNull();
    }
}

package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.date;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Heuristic freshness (RFC 9111 §4.2.2): a configurable fraction of the time since
 * Last-Modified, capped, only for statuses cacheable by default (RFC 9110 §15.1) or marked
 * public, and never when the origin gave explicit freshness.
 */
class HeuristicFreshnessTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    // the 5xx answers here are the subject, not a sick server: no passive ejection
    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                cache:
                  heuristic-max: 1h
                origins:
                  - name: errors-on-purpose
                    servers: [{url: "%s"}]
                    ejection: {consecutive-failures: 1000, min-requests: 1000}
                default-rule:
                  error-ttl: 30s
                  origin: errors-on-purpose
                """.formatted(origin.baseUrl())));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void lastModified(String path, int status, long secondsAgo) {
        origin.stubFor(get(path).willReturn(aResponse().withStatus(status).withHeader("Last-Modified", date(CLOCK, -secondsAgo))
                .withBody(status == 204 ? null : "body")));
    }

    @Test
    void tenPercentOfTheTimeSinceLastModifiedByDefault() {
        lastModified("/ten-percent", 200, 1000);
        HttpResponse<String> miss = edge.get("/ten-percent");
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=100");
        CLOCK.advanceSeconds(99);
        assertThat(cacheStatus(edge.get("/ten-percent"))).isEqualTo("edge-test; hit; ttl=1");
        CLOCK.advanceSeconds(2);
        assertThat(cacheStatus(edge.get("/ten-percent"))).startsWith("edge-test; fwd=stale");
        assertThat(originCount("/ten-percent")).isEqualTo(2);
    }

    @Test
    void heuristicFreshnessIsCapped() {
        lastModified("/capped", 200, 10 * 86_400);
        assertThat(cacheStatus(edge.get("/capped"))).endsWith("stored; ttl=3600");
    }

    @Test
    void theFractionIsConfigurable() {
        lastModified("/fraction", 200, 1000);
        try (TestEdge half = TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("cache: {heuristic-fraction: 0.5}").start()) {
            assertThat(cacheStatus(half.get("/fraction"))).endsWith("stored; ttl=500");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 203, 204, 300, 301, 308})
    void statusesCacheableByDefaultAreStoredHeuristically(int status) {
        String path = "/by-default-" + status;
        lastModified(path, status, 1000);
        HttpResponse<String> miss = edge.get(path);
        assertThat(miss.statusCode()).isEqualTo(status);
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=" + status + "; stored; ttl=100");
        HttpResponse<String> hit = edge.get(path);
        assertThat(hit.statusCode()).isEqualTo(status);
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=100");
        assertThat(originCount(path)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {404, 405, 410, 414, 501})
    void errorStatusesCacheableByDefaultAreStoredUpToTheErrorTtl(int status) {
        String path = "/error-by-default-" + status;
        lastModified(path, status, 1000);
        assertThat(cacheStatus(edge.get(path))).isEqualTo("edge-test; fwd=miss; fwd-status=" + status + "; stored; ttl=30");
        HttpResponse<String> hit = edge.get(path);
        assertThat(hit.statusCode()).isEqualTo(status);
        assertThat(hit.body()).isEqualTo("body");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=30");
        assertThat(originCount(path)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {201, 202, 302, 303, 307, 400, 403, 500, 502, 503})
    void otherStatusesAreNotStoredWithoutExplicitFreshness(int status) {
        String path = "/not-by-default-" + status;
        lastModified(path, status, 1000);
        HttpResponse<String> miss = edge.get(path);
        assertThat(miss.statusCode()).isEqualTo(status);
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=" + status + "; detail=not-cacheable");
        edge.get(path);
        assertThat(originCount(path)).isEqualTo(2);
    }

    @Test
    void otherStatusesWithExplicitFreshnessAreStored() {
        origin.stubFor(get("/explicit-302").willReturn(aResponse().withStatus(302).withHeader("Location", "/x")
                .withHeader("Cache-Control", "max-age=50")));
        assertThat(cacheStatus(edge.get("/explicit-302"))).endsWith("stored; ttl=50");
        HttpResponse<String> hit = edge.get("/explicit-302");
        assertThat(hit.statusCode()).isEqualTo(302);
        assertThat(hit.headers().firstValue("Location")).hasValue("/x");
        assertThat(originCount("/explicit-302")).isEqualTo(1);
    }

    @Test
    void publicMakesOtherStatusesHeuristicallyCacheable() {
        origin.stubFor(get("/public-302").willReturn(aResponse().withStatus(302).withHeader("Location", "/y")
                .withHeader("Cache-Control", "public").withHeader("Last-Modified", date(CLOCK, -1000))));
        assertThat(cacheStatus(edge.get("/public-302"))).endsWith("stored; ttl=100");
        assertThat(cacheStatus(edge.get("/public-302"))).isEqualTo("edge-test; hit; ttl=100");
    }

    @Test
    void a206FromTheOriginIsNotStoredOnItsOwn() {
        origin.stubFor(get("/partial").willReturn(aResponse().withStatus(206).withHeader("Content-Range", "bytes 0-3/10")
                .withHeader("Cache-Control", "max-age=60").withBody("body")));
        assertThat(cacheStatus(edge.get("/partial"))).isEqualTo("edge-test; fwd=miss; fwd-status=206; detail=status");
        edge.get("/partial");
        assertThat(originCount("/partial")).isEqualTo(2);
    }

    @Test
    void noHeuristicWhenFreshnessIsExplicit() {
        origin.stubFor(get("/explicit-zero").willReturn(aResponse().withHeader("Cache-Control", "max-age=0")
                .withHeader("Last-Modified", date(CLOCK, -100_000)).withBody("b")));
        origin.stubFor(get("/explicit-expires").willReturn(aResponse().withHeader("Expires", date(CLOCK, 5))
                .withHeader("Last-Modified", date(CLOCK, -100_000)).withBody("b")));
        assertThat(cacheStatus(edge.get("/explicit-zero"))).endsWith("stored; ttl=0");
        assertThat(cacheStatus(edge.get("/explicit-expires"))).endsWith("stored; ttl=5");
    }

    @Test
    void noHeuristicFromALastModifiedThatIsMissingInvalidOrInTheFuture() {
        origin.stubFor(get("/lm-future").willReturn(aResponse().withHeader("Last-Modified", date(CLOCK, 100)).withBody("b")));
        origin.stubFor(get("/lm-invalid").willReturn(aResponse().withHeader("Last-Modified", "yesterday").withBody("b")));
        origin.stubFor(get("/lm-none").willReturn(aResponse().withBody("b")));
        // with a validator the response is stored, but stale at once
        assertThat(cacheStatus(edge.get("/lm-future"))).endsWith("stored; ttl=0");
        assertThat(cacheStatus(edge.get("/lm-invalid"))).endsWith("stored; ttl=0");
        assertThat(cacheStatus(edge.get("/lm-none"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=zero-ttl");
    }
}

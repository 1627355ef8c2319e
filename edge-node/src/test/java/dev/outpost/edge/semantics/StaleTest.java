package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.OriginGate;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stale serving (RFC 5861): stale-while-revalidate serves a stale entry at once and refreshes
 * it with one background fetch; stale-if-error hides origin connect failures, timeouts and
 * 5xx within its window (from the response or from a rule), and Cache-Status says so.
 * must-revalidate turns both off.
 */
class StaleTest {

    static final ManualClock CLOCK = TestEdge.wallClock();
    /** Holds the background refresh at the origin while the stale answers are collected. */
    static final OriginGate REFRESH = new OriginGate();

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension(OriginClock.options(CLOCK).extensions(REFRESH));

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                origins:
                  - name: impatient
                    servers: [{url: "%s"}]
                    read-timeout: 300ms
                rules:
                  - match: {path-prefix: /timeout/}
                    origin: impatient
                  - match: {path-prefix: /rule-windows/}
                    stale-while-revalidate: 30s
                    stale-if-error: 60s
                """.formatted(origin.baseUrl())));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void stored(String path, String cacheControl, String body) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", cacheControl).withBody(body)));
        assertThat(cacheStatus(edge.get(path))).contains("stored");
    }

    @Test
    void staleWhileRevalidateServesAtOnceAndRefreshesOnceInTheBackground() throws Exception {
        stored("/swr", "max-age=10, stale-while-revalidate=30", "old");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get("/swr").willReturn(aResponse().withHeader("Cache-Control", "max-age=10, stale-while-revalidate=30")
                .withTransformers(OriginGate.NAME).withBody("new")));
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10; i++) {
                answers.add(threads.submit(() -> edge.get("/swr")));
            }
            // served without waiting for the origin: its answer is held until all ten are in
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.body()).isEqualTo("old");
                assertThat(cacheStatus(r)).isEqualTo("edge-test; hit; ttl=-5; detail=stale-while-revalidate");
                assertThat(header(r, "Age")).isEqualTo("15");
            }
        }
        Await.until("the background refresh at the origin", Duration.ofSeconds(10), () -> REFRESH.arrived() == 1);
        REFRESH.open();
        Await.until("the background refresh to land", Duration.ofSeconds(10),
                () -> "new".equals(edge.get("/swr").body()));
        HttpResponse<String> fresh = edge.get("/swr");
        assertThat(cacheStatus(fresh)).isEqualTo("edge-test; hit; ttl=10");
        assertThat(originCount("/swr")).isEqualTo(2);
    }

    @Test
    void pastTheWindowTheClientWaitsForTheOrigin() {
        stored("/swr-past", "max-age=10, stale-while-revalidate=30", "old");
        CLOCK.advanceSeconds(41);
        origin.stubFor(get("/swr-past").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("new")));
        HttpResponse<String> r = edge.get("/swr-past");
        assertThat(r.body()).isEqualTo("new");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=200; stored; ttl=10");
    }

    @Test
    void ruleWindowsApplyWhenTheResponseGivesNone() {
        stored("/rule-windows/a", "max-age=10", "old");
        CLOCK.advanceSeconds(20);
        origin.stubFor(get("/rule-windows/a").willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> swr = edge.get("/rule-windows/a");
        assertThat(swr.body()).isEqualTo("old");
        assertThat(cacheStatus(swr)).isEqualTo("edge-test; hit; ttl=-10; detail=stale-while-revalidate");
        CLOCK.advanceSeconds(30);
        HttpResponse<String> sie = edge.get("/rule-windows/a");
        assertThat(sie.statusCode()).isEqualTo(200);
        assertThat(sie.body()).isEqualTo("old");
        assertThat(cacheStatus(sie)).isEqualTo("edge-test; fwd=stale; fwd-status=503; ttl=-40; detail=stale-if-error");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 504})
    void staleIfErrorHidesServerErrors(int status) {
        String path = "/sie-" + status;
        stored(path, "max-age=10, stale-if-error=60", "stored");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get(path).willReturn(aResponse().withStatus(status).withBody("error")));
        double staleBefore = edge.metric("outpost_requests_total", "cache", "stale");
        HttpResponse<String> r = edge.get(path);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("stored");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=" + status + "; ttl=-5; detail=stale-if-error");
        assertThat(header(r, "Age")).isEqualTo("15");
        // counted once the exchange is finished, which may be just after the client has its answer
        Await.until("the stale answer counted", Duration.ofSeconds(5),
                () -> edge.metric("outpost_requests_total", "cache", "stale") == staleBefore + 1);
        // the entry is kept: the origin is asked again next time
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("recovered")));
        assertThat(edge.get(path).body()).isEqualTo("recovered");
    }

    @Test
    void otherErrorsAreNotHidden() {
        stored("/sie-404", "max-age=10, stale-if-error=60", "stored");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get("/sie-404").willReturn(aResponse().withStatus(404).withBody("gone")));
        HttpResponse<String> r = edge.get("/sie-404");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("gone");
    }

    @Test
    void staleIfErrorEndsWithItsWindow() {
        stored("/sie-past", "max-age=10, stale-if-error=60", "stored");
        CLOCK.advanceSeconds(71);
        origin.stubFor(get("/sie-past").willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> r = edge.get("/sie-past");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("down");
        assertThat(cacheStatus(r)).startsWith("edge-test; fwd=stale; fwd-status=503");
    }

    @Test
    void staleIfErrorHidesAnOriginThatTimesOut() {
        stored("/timeout/a", "max-age=10, stale-if-error=60", "stored");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get("/timeout/a").willReturn(aResponse().withFixedDelay(3000).withBody("late")));
        HttpResponse<String> r = edge.get("/timeout/a");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("stored");
        // no response came: fwd-status says what the node would have sent
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=504; ttl=-5; detail=stale-if-error");
        // without a stale entry the timeout is a 504
        origin.stubFor(get("/timeout/b").willReturn(aResponse().withFixedDelay(3000).withBody("late")));
        HttpResponse<String> b = edge.get("/timeout/b");
        assertThat(b.statusCode()).isEqualTo(504);
        assertThat(cacheStatus(b)).isEqualTo("edge-test; fwd=miss; detail=origin-timeout");
    }

    @Test
    void staleIfErrorHidesAnOriginThatRefusesConnections() {
        WireMockServer down = new WireMockServer(OriginClock.options(CLOCK));
        down.start();
        try (TestEdge e = TestEdge.withOrigin(down.baseUrl()).clock(CLOCK).start()) {
            down.stubFor(get("/refused").willReturn(aResponse().withHeader("Cache-Control", "max-age=10, stale-if-error=60")
                    .withBody("stored")));
            down.stubFor(get("/refused-must").willReturn(aResponse()
                    .withHeader("Cache-Control", "max-age=10, must-revalidate, stale-if-error=60").withBody("stored")));
            e.get("/refused");
            e.get("/refused-must");
            down.stop();
            CLOCK.advanceSeconds(15);
            HttpResponse<String> r = e.get("/refused");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("stored");
            assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=502; ttl=-5; detail=stale-if-error");
            // must-revalidate: no stale copy, and a stored response that cannot be revalidated is a 504
            HttpResponse<String> must = e.get("/refused-must");
            assertThat(must.statusCode()).isEqualTo(504);
            assertThat(must.body()).doesNotContain("stored");
            HttpResponse<String> other = e.get("/never-stored");
            assertThat(other.statusCode()).isEqualTo(502);
            assertThat(cacheStatus(other)).startsWith("edge-test; fwd=miss; detail=");
        } finally {
            down.stop();
        }
    }

    @Test
    void mustRevalidateServesNothingStale() {
        stored("/must", "max-age=10, must-revalidate, stale-while-revalidate=30, stale-if-error=60", "stored");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get("/must").willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> r = edge.get("/must");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("down");
        assertThat(originCount("/must")).isEqualTo(2);
    }
}

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
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rule setting {@code serve-stale-on-error} (as Varnish's grace, nginx's
 * proxy_cache_use_stale): a stored response up to that long past its freshness stands in for an
 * origin that is down or answers 5xx, even without stale-if-error, unless must-revalidate,
 * proxy-revalidate, s-maxage or no-cache forbid it. Without it, an origin 5xx reaches the client
 * and a stored stale response is only served within stale-if-error.
 */
class ServeStaleOnErrorTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                rules:
                  - match: {path-prefix: /grace/}
                    serve-stale-on-error: 1h
                """));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void stored(String path, String cacheControl) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", cacheControl).withBody("stored")));
        assertThat(cacheStatus(edge.get(path))).contains("stored");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 504})
    void aStaleResponseStandsInForAServerError(int status) {
        String path = "/grace/error-" + status;
        stored(path, "max-age=10");
        CLOCK.advanceSeconds(100);
        origin.stubFor(get(path).willReturn(aResponse().withStatus(status).withBody("error")));
        HttpResponse<String> r = edge.get(path);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("stored");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=" + status + "; ttl=-90; detail=serve-stale-on-error");
        assertThat(header(r, "Age")).isEqualTo("100");
        // kept: once the origin is back, it is asked again and its answer replaces the entry
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("recovered")));
        assertThat(edge.get(path).body()).isEqualTo("recovered");
        assertThat(originCount(path)).isEqualTo(3);
    }

    @Test
    void withoutTheSettingTheErrorReachesTheClient() {
        stored("/plain/error", "max-age=10");
        CLOCK.advanceSeconds(100);
        origin.stubFor(get("/plain/error").willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> r = edge.get("/plain/error");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("down");
        assertThat(cacheStatus(r)).startsWith("edge-test; fwd=stale; fwd-status=503");
    }

    @Test
    void theWindowEndsAnHourPastFreshness() {
        stored("/grace/past", "max-age=10");
        CLOCK.advanceSeconds(10 + 3600 + 1);
        origin.stubFor(get("/grace/past").willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> r = edge.get("/grace/past");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("down");
    }

    @Test
    void theResponsesOwnStaleIfErrorIsNamedWithinItsWindowAndTheRuleTakesOverAfter() {
        stored("/grace/own-window", "max-age=10, stale-if-error=60");
        CLOCK.advanceSeconds(30);
        origin.stubFor(get("/grace/own-window").willReturn(aResponse().withStatus(503)));
        assertThat(cacheStatus(edge.get("/grace/own-window")))
                .isEqualTo("edge-test; fwd=stale; fwd-status=503; ttl=-20; detail=stale-if-error");
        CLOCK.advanceSeconds(600);
        HttpResponse<String> r = edge.get("/grace/own-window");
        assertThat(r.body()).isEqualTo("stored");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=503; ttl=-620; detail=serve-stale-on-error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"max-age=10, must-revalidate", "max-age=10, proxy-revalidate", "s-maxage=10", "no-cache, max-age=10"})
    void directivesThatForbidStaleServingWin(String cacheControl) {
        String path = "/grace/forbidden-" + Integer.toHexString(cacheControl.hashCode());
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", cacheControl).withHeader("ETag", "\"e\"")
                .withBody("stored")));
        edge.get(path);
        CLOCK.advanceSeconds(100);
        origin.stubFor(get(path).willReturn(aResponse().withStatus(503).withBody("down")));
        HttpResponse<String> r = edge.get(path);
        assertThat(r.statusCode()).as(cacheControl).isEqualTo(503);
        assertThat(r.body()).isEqualTo("down");
    }

    @Test
    void aStaleResponseStandsInForAnOriginThatIsDown() {
        WireMockServer down = new WireMockServer(OriginClock.options(CLOCK));
        down.start();
        try (TestEdge e = TestEdge.withOrigin(down.baseUrl()).clock(CLOCK).yaml("""
                rules:
                  - match: {path-prefix: /grace/}
                    serve-stale-on-error: 10m
                """).start()) {
            down.stubFor(get("/grace/down").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("stored")));
            down.stubFor(get("/plain/down").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("stored")));
            e.get("/grace/down");
            e.get("/plain/down");
            down.stop();
            CLOCK.advanceSeconds(60);
            HttpResponse<String> r = e.get("/grace/down");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("stored");
            assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=502; ttl=-50; detail=serve-stale-on-error");
            HttpResponse<String> plain = e.get("/plain/down");
            assertThat(plain.statusCode()).isEqualTo(502);
            assertThat(cacheStatus(plain)).isEqualTo("edge-test; fwd=stale; detail=origin-unreachable");
        } finally {
            down.stop();
        }
    }
}

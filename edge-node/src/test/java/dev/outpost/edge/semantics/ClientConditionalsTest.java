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
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Clients' conditional requests answered from a fresh entry (RFC 9110 §13.2.2: If-None-Match
 * with weak comparison and {@code *} first, If-Modified-Since only without it), and clients'
 * own cache directives (RFC 9111 §5.2.1: no-cache, max-age, min-fresh, only-if-cached,
 * Pragma), with the rule switch {@code ignore-client-no-cache}.
 */
class ClientConditionalsTest {

    static final ManualClock CLOCK = TestEdge.wallClock();
    static final String LAST_MODIFIED = date(CLOCK, -3600);

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                default-rule:
                  ignore-client-no-cache: false
                rules:
                  - match: {path-prefix: /protected/}
                    ignore-client-no-cache: true
                """));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void stored(String path, String etag) {
        var response = aResponse().withHeader("Cache-Control", "max-age=600").withHeader("Last-Modified", LAST_MODIFIED)
                .withHeader("Content-Type", "text/plain").withBody("body of " + path);
        if (etag != null) {
            response = response.withHeader("ETag", etag);
        }
        origin.stubFor(get(path).willReturn(response));
        edge.get(path);
    }

    @ParameterizedTest(name = "stored {0}, If-None-Match {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "\"a\"     | \"a\"             | 304",
            "\"a\"     | W/\"a\"           | 304",
            "W/\"a\"   | \"a\"             | 304",
            "W/\"a\"   | W/\"a\"           | 304",
            "\"b\"     | \"a\", \"b\"      | 304",
            "\"b\"     | \"a\",W/\"b\"     | 304",
            "\"b\"     | *                 | 304",
            "\"a\"     | \"b\"             | 200",
            "\"a\"     | \"A\"             | 200",
            "\"a\"     | \"a\"x            | 200",
    })
    void ifNoneMatchUsesWeakComparison(String storedTag, String ifNoneMatch, int expected) {
        String path = "/inm/" + Integer.toHexString((storedTag + ifNoneMatch).hashCode());
        stored(path, storedTag);
        HttpResponse<String> r = edge.get(path, "If-None-Match", ifNoneMatch);
        assertThat(r.statusCode()).isEqualTo(expected);
        assertThat(cacheStatus(r)).startsWith("edge-test; hit");
        if (expected == 304) {
            assertThat(r.body()).isEmpty();
            assertThat(header(r, "ETag")).isEqualTo(storedTag);
            assertThat(header(r, "Cache-Control")).isEqualTo("max-age=600");
            assertThat(header(r, "Date")).isNotNull();
            assertThat(header(r, "Age")).isEqualTo("0");
        } else {
            assertThat(r.body()).isEqualTo("body of " + path);
        }
        assertThat(originCount(path)).isEqualTo(1);
    }

    @Test
    void ifModifiedSinceComparesWithLastModified() {
        stored("/ims", "\"i\"");
        assertThat(edge.get("/ims", "If-Modified-Since", LAST_MODIFIED).statusCode()).isEqualTo(304);
        assertThat(edge.get("/ims", "If-Modified-Since", date(CLOCK, -60)).statusCode()).isEqualTo(304);
        assertThat(edge.get("/ims", "If-Modified-Since", date(CLOCK, -7200)).statusCode()).isEqualTo(200);
        assertThat(edge.get("/ims", "If-Modified-Since", "not a date").statusCode()).isEqualTo(200);
        assertThat(originCount("/ims")).isEqualTo(1);
    }

    @Test
    void ifModifiedSinceWithoutLastModifiedUsesTheStoredDate() {
        origin.stubFor(get("/ims-date").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Date", date(CLOCK, -100)).withBody("d")));
        edge.get("/ims-date");
        assertThat(edge.get("/ims-date", "If-Modified-Since", date(CLOCK, -100)).statusCode()).isEqualTo(304);
        assertThat(edge.get("/ims-date", "If-Modified-Since", date(CLOCK, -101)).statusCode()).isEqualTo(200);
    }

    @Test
    void ifNoneMatchTakesPrecedenceOverIfModifiedSince() {
        stored("/precedence", "\"p\"");
        HttpResponse<String> r = edge.get("/precedence", "If-None-Match", "\"other\"", "If-Modified-Since", date(CLOCK, 0));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("body of /precedence");
        HttpResponse<String> r2 = edge.get("/precedence", "If-None-Match", "\"p\"", "If-Modified-Since", date(CLOCK, -7200));
        assertThat(r2.statusCode()).isEqualTo(304);
    }

    @Test
    void headRequestsAreAnswered304Too() {
        stored("/head-conditional", "\"h\"");
        HttpResponse<String> r = edge.send("HEAD", "/head-conditional", null, "If-None-Match", "\"h\"");
        assertThat(r.statusCode()).isEqualTo(304);
    }

    @Test
    void aConditionalMissStoresTheWholeResponseAndAnswers304() {
        origin.stubFor(get("/conditional-miss").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("ETag", "\"m\"").withBody("whole")));
        HttpResponse<String> r = edge.get("/conditional-miss", "If-None-Match", "\"m\"");
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=600");
        origin.verify(getRequestedFor(urlEqualTo("/conditional-miss")).withHeader("If-None-Match", absent()));
        // the 304 is answered before the body is stored: requests meanwhile read the fill
        Await.until("the whole response stored", Duration.ofSeconds(10),
                () -> cacheStatus(edge.get("/conditional-miss", "If-None-Match", "\"m\"")).startsWith("edge-test; hit"));
        HttpResponse<String> whole = edge.get("/conditional-miss");
        assertThat(whole.body()).isEqualTo("whole");
        assertThat(cacheStatus(whole)).startsWith("edge-test; hit");
        assertThat(originCount("/conditional-miss")).isEqualTo(1);
    }

    @Test
    void conditionalsOnANon200AreIgnored() {
        origin.stubFor(get("/missing").willReturn(aResponse().withStatus(404).withHeader("Cache-Control", "max-age=5")
                .withHeader("ETag", "\"x\"").withBody("nope")));
        edge.get("/missing");
        HttpResponse<String> r = edge.get("/missing", "If-None-Match", "\"x\"");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("nope");
    }

    private static void revalidatable(String path) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600").withHeader("ETag", "\"r\"")
                .withBody("stored")));
        origin.stubFor(get(path).withHeader("If-None-Match", equalTo("\"r\"")).willReturn(aResponse().withStatus(304)
                .withHeader("ETag", "\"r\"").withHeader("Cache-Control", "max-age=600")));
        edge.get(path);
        // the client can have the body before the fill is stored; only-if-cached never goes upstream
        Await.until("the response stored", Duration.ofSeconds(10),
                () -> edge.get(path, "Cache-Control", "only-if-cached").statusCode() == 200);
    }

    @Test
    void clientNoCacheMaxAgeZeroAndPragmaAreHonouredByRevalidation() {
        String[][] asks = {{"Cache-Control", "no-cache"}, {"Cache-Control", "max-age=0"}, {"Pragma", "no-cache"}};
        for (String[] ask : asks) {
            String path = "/reload/" + ask[0].toLowerCase() + "-" + ask[1].replace('=', '-');
            revalidatable(path);
            HttpResponse<String> r = edge.get(path, ask[0], ask[1]);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("stored");
            assertThat(cacheStatus(r)).as(ask[0] + ": " + ask[1])
                    .isEqualTo("edge-test; fwd=request; fwd-status=304; ttl=600; detail=revalidated");
            assertThat(originCount(path)).isEqualTo(2);
            origin.verify(getRequestedFor(urlEqualTo(path)).withHeader("If-None-Match", equalTo("\"r\"")));
        }
    }

    @Test
    void pragmaIsIgnoredWhenTheRequestHasCacheControl() {
        revalidatable("/pragma-with-cc");
        assertThat(cacheStatus(edge.get("/pragma-with-cc", "Pragma", "no-cache", "Cache-Control", "max-stale=5")))
                .startsWith("edge-test; hit");
    }

    @Test
    void theRuleSwitchIgnoresClientReloads() {
        revalidatable("/protected/a");
        for (String[] ask : new String[][] {{"Cache-Control", "no-cache"}, {"Cache-Control", "max-age=0"}, {"Pragma", "no-cache"}}) {
            HttpResponse<String> r = edge.get("/protected/a", ask[0], ask[1]);
            assertThat(cacheStatus(r)).as(ask[0] + ": " + ask[1]).isEqualTo("edge-test; hit; ttl=600");
        }
        assertThat(originCount("/protected/a")).isEqualTo(1);
    }

    @Test
    void clientMaxAgeAndMinFreshRefuseAFreshButTooOldEntry() {
        revalidatable("/client-max-age");
        CLOCK.advanceSeconds(30);
        assertThat(cacheStatus(edge.get("/client-max-age", "Cache-Control", "max-age=60"))).isEqualTo("edge-test; hit; ttl=570");
        assertThat(cacheStatus(edge.get("/client-max-age", "Cache-Control", "max-age=10")))
                .isEqualTo("edge-test; fwd=request; fwd-status=304; ttl=600; detail=revalidated");
        revalidatable("/client-min-fresh");
        CLOCK.advanceSeconds(30);
        assertThat(cacheStatus(edge.get("/client-min-fresh", "Cache-Control", "min-fresh=60"))).isEqualTo("edge-test; hit; ttl=570");
        assertThat(cacheStatus(edge.get("/client-min-fresh", "Cache-Control", "min-fresh=590")))
                .isEqualTo("edge-test; fwd=request; fwd-status=304; ttl=600; detail=revalidated");
    }

    @Test
    void onlyIfCachedNeverGoesUpstream() {
        HttpResponse<String> miss = edge.get("/only-if-cached", "Cache-Control", "only-if-cached");
        assertThat(miss.statusCode()).isEqualTo(504);
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; detail=only-if-cached");
        revalidatable("/only-if-cached");
        assertThat(edge.get("/only-if-cached", "Cache-Control", "only-if-cached").statusCode()).isEqualTo(200);
        assertThat(originCount("/only-if-cached")).isEqualTo(1);
    }
}

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

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Freshness from the response (RFC 9111 §4.2.1, §5.2.2): max-age, s-maxage, Expires, Pragma,
 * no-store, no-cache and private (bare and with field names), must-understand,
 * must-revalidate against a client's max-stale, and the rule TTLs around them.
 */
class FreshnessTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                rules:
                  - match: {path-prefix: /override/}
                    ttl: 10s
                    ttl-mode: override
                  - match: {path-prefix: /rule-ttl/}
                    ttl: 45s
                """));

    private static void stub(String path, ResponseDefinitionBuilder response) {
        origin.stubFor(get(path).willReturn(response));
    }

    private static ResponseDefinitionBuilder ok(String body) {
        return aResponse().withHeader("Content-Type", "text/plain").withBody(body);
    }

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    @Test
    void maxAgeIsFreshThenStale() {
        stub("/max-age", ok("one").withHeader("Cache-Control", "max-age=60"));
        HttpResponse<String> miss = edge.get("/max-age");
        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");

        CLOCK.advanceSeconds(59);
        HttpResponse<String> hit = edge.get("/max-age");
        assertThat(hit.body()).isEqualTo("one");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=1");
        assertThat(header(hit, "Age")).isEqualTo("59");
        assertThat(originCount("/max-age")).isEqualTo(1);

        CLOCK.advanceSeconds(2);
        stub("/max-age", ok("two").withHeader("Cache-Control", "max-age=60"));
        HttpResponse<String> stale = edge.get("/max-age");
        assertThat(stale.body()).isEqualTo("two");
        assertThat(cacheStatus(stale)).isEqualTo("edge-test; fwd=stale; fwd-status=200; stored; ttl=60");
        assertThat(originCount("/max-age")).isEqualTo(2);
    }

    @Test
    void sMaxAgeWinsOverMaxAgeInASharedCache() {
        stub("/s-maxage", ok("s").withHeader("Cache-Control", "max-age=10, s-maxage=100"));
        assertThat(cacheStatus(edge.get("/s-maxage"))).endsWith("stored; ttl=100");
        CLOCK.advanceSeconds(50);
        HttpResponse<String> hit = edge.get("/s-maxage");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=50");
        assertThat(header(hit, "Cache-Control")).isEqualTo("max-age=10, s-maxage=100");
        assertThat(originCount("/s-maxage")).isEqualTo(1);
    }

    @Test
    void expiresCountsFromTheOriginsDate() {
        stub("/expires", ok("e").withHeader("Date", date(CLOCK, -20)).withHeader("Expires", date(CLOCK, 100)));
        HttpResponse<String> miss = edge.get("/expires");
        // lifetime Expires - Date = 120 s; apparent age 20 s
        assertThat(cacheStatus(miss)).endsWith("stored; ttl=100");
        assertThat(header(miss, "Age")).isEqualTo("20");
        CLOCK.advanceSeconds(99);
        assertThat(cacheStatus(edge.get("/expires"))).isEqualTo("edge-test; hit; ttl=1");
        CLOCK.advanceSeconds(2);
        assertThat(cacheStatus(edge.get("/expires"))).startsWith("edge-test; fwd=stale");
        assertThat(originCount("/expires")).isEqualTo(2);
    }

    @Test
    void expiresWithoutDateCountsFromReception() {
        stub("/expires-no-date", ok("e").withHeader(OriginClock.NO_DATE, "1").withHeader("Expires", date(CLOCK, 30)));
        HttpResponse<String> miss = edge.get("/expires-no-date");
        assertThat(cacheStatus(miss)).endsWith("stored; ttl=30");
        assertThat(header(miss, "Date")).isEqualTo(date(CLOCK, 0));
    }

    @Test
    void maxAgeWinsOverExpires() {
        stub("/max-age-over-expires", ok("m").withHeader("Cache-Control", "max-age=30").withHeader("Expires", date(CLOCK, 3600)));
        assertThat(cacheStatus(edge.get("/max-age-over-expires"))).endsWith("stored; ttl=30");
    }

    @Test
    void invalidExpiresMeansAlreadyStale() {
        stub("/expires-invalid", ok("x").withHeader("Expires", "0").withHeader("ETag", "\"v1\""));
        assertThat(cacheStatus(edge.get("/expires-invalid"))).endsWith("stored; ttl=0");
        origin.stubFor(get("/expires-invalid").withHeader("If-None-Match", equalTo("\"v1\""))
                .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"v1\"").withHeader("Expires", "soon")));
        HttpResponse<String> again = edge.get("/expires-invalid");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("x");
        assertThat(cacheStatus(again)).isEqualTo("edge-test; fwd=stale; fwd-status=304; ttl=0; detail=revalidated");
        assertThat(originCount("/expires-invalid")).isEqualTo(2);
    }

    @Test
    void invalidExpiresWithoutValidatorsIsNotStored() {
        stub("/expires-garbage", ok("x").withHeader("Expires", "next tuesday"));
        assertThat(cacheStatus(edge.get("/expires-garbage"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=zero-ttl");
        assertThat(edge.get("/expires-garbage").body()).isEqualTo("x");
        assertThat(originCount("/expires-garbage")).isEqualTo(2);
    }

    @Test
    void expiresInThePastIsStale() {
        stub("/expires-past", ok("p").withHeader("Expires", date(CLOCK, -60)).withHeader("Last-Modified", date(CLOCK, -3600)));
        edge.get("/expires-past");
        HttpResponse<String> again = edge.get("/expires-past");
        assertThat(cacheStatus(again)).startsWith("edge-test; fwd=stale");
        origin.verify(getRequestedFor(urlEqualTo("/expires-past")).withHeader("If-Modified-Since", equalTo(date(CLOCK, -3600))));
    }

    @Test
    void pragmaNoCacheWithoutCacheControlMeansRevalidate() {
        stub("/pragma", ok("p").withHeader("Pragma", "no-cache").withHeader("Expires", date(CLOCK, 600))
                .withHeader("ETag", "\"p1\""));
        edge.get("/pragma");
        origin.stubFor(get("/pragma").withHeader("If-None-Match", equalTo("\"p1\""))
                .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"p1\"")));
        HttpResponse<String> again = edge.get("/pragma");
        assertThat(again.body()).isEqualTo("p");
        assertThat(cacheStatus(again)).startsWith("edge-test; fwd=stale; fwd-status=304");
        assertThat(originCount("/pragma")).isEqualTo(2);
    }

    @Test
    void pragmaIsIgnoredWhenCacheControlIsPresent() {
        stub("/pragma-cc", ok("p").withHeader("Pragma", "no-cache").withHeader("Cache-Control", "max-age=60"));
        edge.get("/pragma-cc");
        assertThat(cacheStatus(edge.get("/pragma-cc"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/pragma-cc")).isEqualTo(1);
    }

    @Test
    void noStoreIsNeverStored() {
        stub("/no-store", ok("n").withHeader("Cache-Control", "no-store, max-age=60"));
        assertThat(cacheStatus(edge.get("/no-store"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=no-store");
        HttpResponse<String> again = edge.get("/no-store");
        assertThat(again.body()).isEqualTo("n");
        assertThat(cacheStatus(again)).isEqualTo("edge-test; fwd=bypass; detail=hit-for-pass; fwd-status=200");
        assertThat(originCount("/no-store")).isEqualTo(2);
    }

    @Test
    void bareNoCacheIsStoredButRevalidatedOnEveryUse() {
        stub("/no-cache", ok("c").withHeader("Cache-Control", "no-cache, max-age=600").withHeader("ETag", "\"c1\""));
        assertThat(cacheStatus(edge.get("/no-cache"))).endsWith("stored; ttl=600");
        origin.stubFor(get("/no-cache").withHeader("If-None-Match", equalTo("\"c1\""))
                .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"c1\"")));
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> again = edge.get("/no-cache");
            assertThat(again.body()).isEqualTo("c");
            assertThat(cacheStatus(again)).startsWith("edge-test; fwd=stale; fwd-status=304");
        }
        assertThat(originCount("/no-cache")).isEqualTo(3);
    }

    @Test
    void noCacheWithFieldNamesStoresTheResponseWithoutThem() {
        stub("/no-cache-fields", ok("f").withHeader("Cache-Control", "no-cache=\"X-Secret, X-Other\", max-age=60")
                .withHeader("X-Secret", "s3").withHeader("X-Other", "o").withHeader("X-Kept", "k"));
        HttpResponse<String> miss = edge.get("/no-cache-fields");
        // the client that caused the fetch gets the whole response
        assertThat(header(miss, "X-Secret")).isEqualTo("s3");
        assertThat(header(miss, "X-Kept")).isEqualTo("k");
        HttpResponse<String> hit = edge.get("/no-cache-fields");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(header(hit, "X-Secret")).isNull();
        assertThat(header(hit, "X-Other")).isNull();
        assertThat(header(hit, "X-Kept")).isEqualTo("k");
        assertThat(originCount("/no-cache-fields")).isEqualTo(1);
    }

    @Test
    void barePrivateIsNotStored() {
        stub("/private", ok("p").withHeader("Cache-Control", "private, max-age=60"));
        assertThat(cacheStatus(edge.get("/private"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=private");
        edge.get("/private");
        assertThat(originCount("/private")).isEqualTo(2);
    }

    @Test
    void privateWithFieldNamesStoresTheResponseWithoutThem() {
        stub("/private-fields", ok("p").withHeader("Cache-Control", "PRIVATE=\"Set-Cookie\", max-age=60")
                .withHeader("Set-Cookie", "session=abc"));
        HttpResponse<String> miss = edge.get("/private-fields");
        assertThat(header(miss, "Set-Cookie")).isEqualTo("session=abc");
        HttpResponse<String> hit = edge.get("/private-fields");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(header(hit, "Set-Cookie")).isNull();
        assertThat(originCount("/private-fields")).isEqualTo(1);
    }

    @Test
    void mustUnderstandStoresUnderstoodStatusesDespiteNoStore() {
        stub("/must-understand", ok("u").withHeader("Cache-Control", "must-understand, no-store, max-age=60"));
        edge.get("/must-understand");
        assertThat(cacheStatus(edge.get("/must-understand"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/must-understand")).isEqualTo(1);
    }

    @Test
    void mustUnderstandRefusesStatusesItDoesNotKnow() {
        stub("/must-understand-299", ok("u").withStatus(299).withHeader("Cache-Control", "must-understand, no-store, max-age=60"));
        assertThat(cacheStatus(edge.get("/must-understand-299"))).isEqualTo("edge-test; fwd=miss; fwd-status=299; detail=no-store");
        stub("/must-understand-299b", ok("u").withStatus(299).withHeader("Cache-Control", "must-understand, max-age=60"));
        assertThat(cacheStatus(edge.get("/must-understand-299b"))).isEqualTo("edge-test; fwd=miss; fwd-status=299; detail=must-understand");
    }

    @Test
    void immutableResponsesAreStoredLikeAnyOther() {
        stub("/immutable", ok("i").withHeader("Cache-Control", "public, max-age=60, immutable"));
        edge.get("/immutable");
        assertThat(cacheStatus(edge.get("/immutable"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/immutable")).isEqualTo(1);
    }

    @Test
    void clientMaxStaleGetsAStaleResponseUnlessMustRevalidate() {
        stub("/max-stale", ok("a").withHeader("Cache-Control", "max-age=10"));
        stub("/max-stale-mr", ok("b").withHeader("Cache-Control", "max-age=10, must-revalidate"));
        stub("/max-stale-pr", ok("c").withHeader("Cache-Control", "max-age=10, proxy-revalidate"));
        edge.get("/max-stale");
        edge.get("/max-stale-mr");
        edge.get("/max-stale-pr");
        CLOCK.advanceSeconds(30);
        HttpResponse<String> stale = edge.get("/max-stale", "Cache-Control", "max-stale=60");
        assertThat(cacheStatus(stale)).isEqualTo("edge-test; hit; ttl=-20");
        assertThat(header(stale, "Age")).isEqualTo("30");
        assertThat(cacheStatus(edge.get("/max-stale-mr", "Cache-Control", "max-stale=60"))).startsWith("edge-test; fwd=stale");
        assertThat(cacheStatus(edge.get("/max-stale-pr", "Cache-Control", "max-stale=60"))).startsWith("edge-test; fwd=stale");
        assertThat(originCount("/max-stale")).isEqualTo(1);
        assertThat(originCount("/max-stale-mr")).isEqualTo(2);
        assertThat(originCount("/max-stale-pr")).isEqualTo(2);
    }

    @Test
    void duplicateDirectivesUseTheFirst() {
        origin.stubFor(get("/duplicates").willReturn(ok("d").withHeader("Cache-Control", "max-age=20", "max-age=200")));
        assertThat(cacheStatus(edge.get("/duplicates"))).endsWith("stored; ttl=20");
    }

    @Test
    void quotedAndUpperCaseValuesAreAccepted() {
        stub("/quoted", ok("q").withHeader("Cache-Control", "Max-Age=\"40\""));
        assertThat(cacheStatus(edge.get("/quoted"))).endsWith("stored; ttl=40");
    }

    @Test
    void invalidMaxAgeMeansStale() {
        stub("/max-age-abc", ok("a").withHeader("Cache-Control", "max-age=abc").withHeader("ETag", "\"a\""));
        stub("/max-age-negative", ok("n").withHeader("Cache-Control", "max-age=-5").withHeader("ETag", "\"n\""));
        assertThat(cacheStatus(edge.get("/max-age-abc"))).endsWith("stored; ttl=0");
        assertThat(cacheStatus(edge.get("/max-age-negative"))).endsWith("stored; ttl=0");
        assertThat(cacheStatus(edge.get("/max-age-abc"))).startsWith("edge-test; fwd=stale");
        assertThat(cacheStatus(edge.get("/max-age-negative"))).startsWith("edge-test; fwd=stale");
        origin.verify(getRequestedFor(urlEqualTo("/max-age-abc")).withHeader("If-None-Match", equalTo("\"a\"")));
    }

    @Test
    void hugeMaxAgeIsCappedAtTwoToTheThirtyOne() {
        stub("/max-age-huge", ok("h").withHeader("Cache-Control", "max-age=99999999999999999999999"));
        assertThat(cacheStatus(edge.get("/max-age-huge"))).endsWith("stored; ttl=2147483648");
        assertThat(cacheStatus(edge.get("/max-age-huge"))).isEqualTo("edge-test; hit; ttl=2147483648");
    }

    @Test
    void overrideRuleWinsOverTheOrigin() {
        stub("/override/a", ok("o").withHeader("Cache-Control", "max-age=600"));
        assertThat(cacheStatus(edge.get("/override/a"))).endsWith("stored; ttl=10");
        CLOCK.advanceSeconds(11);
        assertThat(cacheStatus(edge.get("/override/a"))).startsWith("edge-test; fwd=stale");
    }

    @Test
    void ruleTtlAppliesOnlyWhenTheOriginGivesNone() {
        stub("/rule-ttl/none", ok("r"));
        stub("/rule-ttl/own", ok("r").withHeader("Cache-Control", "max-age=5"));
        stub("/rule-ttl/expires", ok("r").withHeader("Expires", date(CLOCK, 7)));
        assertThat(cacheStatus(edge.get("/rule-ttl/none"))).endsWith("stored; ttl=45");
        assertThat(cacheStatus(edge.get("/rule-ttl/own"))).endsWith("stored; ttl=5");
        assertThat(cacheStatus(edge.get("/rule-ttl/expires"))).endsWith("stored; ttl=7");
        origin.verify(getRequestedFor(urlEqualTo("/rule-ttl/none")).withHeader("Cache-Control", absent()));
    }
}

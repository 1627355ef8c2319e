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

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Age (RFC 9111 §4.2.3, §5.1): the corrected initial age from upstream Age, Date and response
 * delay, growing with the node's clock, on every response served from cache; Date added when
 * the origin sent none.
 */
class AgeTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    private static ResponseDefinitionBuilder ok(String cacheControl) {
        return aResponse().withHeader("Cache-Control", cacheControl).withBody("body");
    }

    @Test
    void ageGrowsWithTheNodesClockOnEveryHit() {
        origin.stubFor(get("/grows").willReturn(ok("max-age=100")));
        HttpResponse<String> miss = edge.get("/grows");
        assertThat(header(miss, "Age")).isEqualTo("0");
        for (int s = 1; s <= 3; s++) {
            CLOCK.advanceSeconds(7);
            HttpResponse<String> hit = edge.get("/grows");
            assertThat(header(hit, "Age")).isEqualTo(Integer.toString(7 * s));
            assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=" + (100 - 7 * s));
        }
    }

    @Test
    void upstreamAgeIsAddedOn() {
        origin.stubFor(get("/upstream-age").willReturn(ok("max-age=100").withHeader("Age", "30")));
        HttpResponse<String> miss = edge.get("/upstream-age");
        assertThat(header(miss, "Age")).isEqualTo("30");
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=70");
        CLOCK.advanceSeconds(10);
        HttpResponse<String> hit = edge.get("/upstream-age");
        assertThat(header(hit, "Age")).isEqualTo("40");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
    }

    @Test
    void apparentAgeFromAnOldDateWinsOverASmallerAge() {
        origin.stubFor(get("/apparent").willReturn(ok("max-age=100").withHeader("Age", "10").withHeader("Date", date(CLOCK, -50))));
        assertThat(header(edge.get("/apparent"), "Age")).isEqualTo("50");
        CLOCK.advanceSeconds(5);
        assertThat(header(edge.get("/apparent"), "Age")).isEqualTo("55");
    }

    @Test
    void aDateInTheFutureGivesNoNegativeAge() {
        origin.stubFor(get("/future-date").willReturn(ok("max-age=100").withHeader("Date", date(CLOCK, 3600))));
        HttpResponse<String> miss = edge.get("/future-date");
        assertThat(header(miss, "Age")).isEqualTo("0");
        assertThat(cacheStatus(miss)).endsWith("ttl=100");
    }

    @Test
    void responseDelayIsAddedToUpstreamAge() {
        // the origin takes 5 s (of the node's clock) to answer, and says Age: 10
        origin.stubFor(get("/delay").willReturn(ok("max-age=100").withHeader("Age", "10").withHeader(OriginClock.THINK, "5")));
        HttpResponse<String> miss = edge.get("/delay");
        assertThat(header(miss, "Age")).isEqualTo("15");
        assertThat(cacheStatus(miss)).endsWith("ttl=85");
    }

    @Test
    void anAgeBeyondTheLifetimeIsStaleAtOnce() {
        origin.stubFor(get("/too-old").willReturn(ok("max-age=60").withHeader("Age", "120")));
        HttpResponse<String> miss = edge.get("/too-old");
        assertThat(miss.body()).isEqualTo("body");
        assertThat(header(miss, "Age")).isEqualTo("120");
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=-60");
        assertThat(cacheStatus(edge.get("/too-old"))).startsWith("edge-test; fwd=stale");
        assertThat(origin.findAll(getRequestedFor(urlEqualTo("/too-old")))).hasSize(2);
    }

    @Test
    void aListOnOneLineCountsByItsFirstMember() {
        origin.stubFor(get("/age-list").willReturn(ok("max-age=3600").withHeader("Age", "7200, 0")));
        HttpResponse<String> miss = edge.get("/age-list");
        assertThat(header(miss, "Age")).isEqualTo("7200");
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=-3600");
        assertThat(cacheStatus(edge.get("/age-list"))).startsWith("edge-test; fwd=stale");
        assertThat(origin.findAll(getRequestedFor(urlEqualTo("/age-list")))).hasSize(2);
    }

    @Test
    void severalLinesCountByTheFirst() {
        // two lines: the first (old) one counts, not the last
        origin.stubFor(get("/age-lines").willReturn(ok("max-age=3600").withHeader("Age", "7200", "0")));
        HttpResponse<String> miss = edge.get("/age-lines");
        assertThat(header(miss, "Age")).isEqualTo("7200");
        assertThat(cacheStatus(edge.get("/age-lines"))).startsWith("edge-test; fwd=stale");
        origin.stubFor(get("/age-lines-young").willReturn(ok("max-age=3600").withHeader("Age", "0", "7200")));
        edge.get("/age-lines-young");
        assertThat(cacheStatus(edge.get("/age-lines-young"))).isEqualTo("edge-test; hit; ttl=3600");
    }

    @Test
    void anInvalidAgeCountsAsZero() {
        origin.stubFor(get("/bad-age").willReturn(ok("max-age=60").withHeader("Age", "ten")));
        HttpResponse<String> miss = edge.get("/bad-age");
        assertThat(header(miss, "Age")).isEqualTo("0");
        assertThat(cacheStatus(miss)).endsWith("ttl=60");
    }

    @Test
    void dateIsAddedWhenTheOriginSentNone() {
        String receivedAt = date(CLOCK, 0);
        origin.stubFor(get("/no-date").willReturn(ok("max-age=60").withHeader(OriginClock.NO_DATE, "1")));
        HttpResponse<String> miss = edge.get("/no-date");
        assertThat(miss.headers().allValues("Date")).containsExactly(receivedAt);
        CLOCK.advanceSeconds(20);
        HttpResponse<String> hit = edge.get("/no-date");
        // the stored response keeps the Date of its reception; Age says how old it is
        assertThat(hit.headers().allValues("Date")).containsExactly(receivedAt);
        assertThat(header(hit, "Age")).isEqualTo("20");
    }

    @Test
    void theOriginsDateIsKept() {
        String originDate = date(CLOCK, -3);
        origin.stubFor(get("/origin-date").willReturn(ok("max-age=60").withHeader("Date", originDate)));
        assertThat(edge.get("/origin-date").headers().allValues("Date")).containsExactly(originDate);
        assertThat(edge.get("/origin-date").headers().allValues("Date")).containsExactly(originDate);
    }

    @Test
    void revalidatedAndNotModifiedAnswersCarryAge() {
        origin.stubFor(get("/age-304").willReturn(ok("max-age=10").withHeader("ETag", "\"a\"")));
        edge.get("/age-304");
        CLOCK.advanceSeconds(4);
        HttpResponse<String> notModified = edge.get("/age-304", "If-None-Match", "\"a\"");
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(header(notModified, "Age")).isEqualTo("4");
        CLOCK.advanceSeconds(10);
        origin.stubFor(get("/age-304").withHeader("If-None-Match", equalTo("\"a\""))
                .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"a\"").withHeader("Cache-Control", "max-age=10")
                        .withHeader("Age", "2")));
        HttpResponse<String> revalidated = edge.get("/age-304");
        assertThat(revalidated.statusCode()).isEqualTo(200);
        assertThat(header(revalidated, "Age")).isEqualTo("2");
        assertThat(cacheStatus(revalidated)).isEqualTo("edge-test; fwd=stale; fwd-status=304; ttl=8; detail=revalidated");
    }

    @Test
    void responsesNotFromCacheCarryNoAgeOfTheirOwn() {
        origin.stubFor(get("/not-stored").willReturn(ok("no-store")));
        HttpResponse<String> r = edge.get("/not-stored");
        assertThat(header(r, "Age")).isNull();
    }
}

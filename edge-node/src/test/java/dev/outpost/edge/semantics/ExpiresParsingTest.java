package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.http.HttpDates;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Expires parsing (RFC 9111 §5.3, RFC 9110 §5.6.7): the three date formats are read, each
 * strictly, and anything else (two-digit years outside RFC 850, dashes, doubled spaces,
 * one-digit hours, other zones, several values) is invalid and means already expired. The node
 * runs on a clock in 2026; every valid date below is in 2050.
 */
class ExpiresParsingTest {

    static final ManualClock CLOCK = new ManualClock(Instant.parse("2026-06-01T00:00:00Z"));
    static final AtomicInteger PATHS = new AtomicInteger();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    /** Fetches twice a response with these Expires lines; true when the second was a hit. */
    private static boolean reused(String... expires) {
        String path = "/expires-" + PATHS.incrementAndGet();
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Expires", expires).withBody("e")));
        String first = cacheStatus(edge.get(path));
        String second = cacheStatus(edge.get(path));
        int fetches = origin.findAll(getRequestedFor(urlEqualTo(path))).size();
        assertThat(first).startsWith("edge-test; fwd=miss");
        assertThat(fetches).isEqualTo(second.startsWith("edge-test; hit") ? 1 : 2);
        return second.startsWith("edge-test; hit");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Thu, 18 Aug 2050 02:01:18 GMT",    // IMF-fixdate
        "Thursday, 18-Aug-50 02:01:18 GMT", // RFC 850
        "Thu Aug 18 02:01:18 2050",         // asctime
        "Thu Aug  8 02:01:18 2050",         // asctime, one-digit day after a space
        "THU, 18 Aug 2050 02:01:18 GMT",    // case of the day name: kept leniency
        "Thu, 18 AUG 2050 02:01:18 GMT",    // case of the month: kept leniency
        "Thu, 18 Aug 2050 02:01:18 gMT",    // case of GMT: kept leniency
        "Tue, 19 Jan 2038 03:14:08 GMT",    // past 32 bits of seconds
    })
    void validDatesInTheFutureAreFresh(String expires) {
        assertThat(reused(expires)).as(expires).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Thu, 18 Aug 50 02:01:18 GMT",      // two-digit year in IMF-fixdate
        "Thu, 18-Aug-2050 02:01:18 GMT",    // dashes where spaces belong
        "Thu, 18  Aug  2050 02:01:18 GMT",  // doubled spaces
        "Thu, 18 Aug 2050 2:01:18 GMT",     // one-digit hour
        "Thu, 18 Aug 2050 02.01.18 GMT",    // periods in the time
        "Thu 18 Aug 2050 02:01:18 GMT",     // no comma
        "Thu, 18 Aug 2050 02:01:18 UTC",    // another zone
        "Thu, 18 Aug 2050 02:01:18 AEST",
        "Thu, 8 Aug 2050 02:01:18 GMT",     // one-digit day in IMF-fixdate
        "Thursday, 18-Aug-2050 02:01:18 GMT", // four-digit year in RFC 850
        "Thu, 18-Aug-50 02:01:18 GMT",      // RFC 850 with a short day name
        "Thu Aug 8 02:01:18 2050",          // asctime with a single space before the day
        "Thu Aug 18 02:01:18 50",           // asctime with a two-digit year
        "Thu, 18 Aug 2050 02:01:18 GMT, Fri, 19 Aug 2050 02:01:18 GMT", // a list on one line
        "Thu, 18 Aug 2050 02:01:18 GMT junk",
        "Thu, 31 Feb 2050 02:01:18 GMT",    // no such day
    })
    void invalidDatesMeanAlreadyExpired(String expires) {
        assertThat(HttpDates.parse(expires)).as(expires).isEqualTo(HttpDates.INVALID);
        assertThat(reused(expires)).as(expires).isFalse();
    }

    @Test
    void severalExpiresLinesAreInvalidEvenWhenEachIsValid() {
        assertThat(reused("Thu, 18 Aug 2050 02:01:18 GMT", "Thu, 18 Aug 2050 02:01:19 GMT")).isFalse();
    }

    @Test
    void theSameDateInTheThreeFormatsIsTheSameInstant() {
        long imf = HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT");
        assertThat(imf).isEqualTo(Instant.parse("1994-11-06T08:49:37Z").toEpochMilli());
        assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT")).isEqualTo(imf);
        assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994")).isEqualTo(imf);
        assertThat(HttpDates.parse(" Sun, 06 Nov 1994 08:49:37 GMT ")).as("surrounding whitespace").isEqualTo(imf);
    }
}

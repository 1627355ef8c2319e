package dev.outpost.edge.semantics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.http.CacheControl;
import dev.outpost.edge.http.HttpDates;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Parsing of Cache-Control (RFC 9111 §5.2), targeted fields (RFC 9213 §2.1) and HTTP dates
 * (RFC 9110 §5.6.7), as units: names are case-insensitive, arguments may be quoted, the first
 * of duplicates wins, invalid arguments are kept as invalid (stale), and nothing throws.
 */
class DirectivesParsingTest {

    @Test
    void namesAreCaseInsensitive() {
        CacheControl cc = CacheControl.parse("Max-Age=10, NO-STORE, Public, S-MaxAge=20, MUST-revalidate");
        assertThat(cc.maxAge()).isEqualTo(10);
        assertThat(cc.sMaxAge()).isEqualTo(20);
        assertThat(cc.noStore()).isTrue();
        assertThat(cc.isPublic()).isTrue();
        assertThat(cc.mustRevalidate()).isTrue();
    }

    @Test
    void argumentsMayBeQuoted() {
        assertThat(CacheControl.parse("max-age=\"30\"").maxAge()).isEqualTo(30);
        assertThat(CacheControl.parse("s-maxage = \"5\" , public").sMaxAge()).isEqualTo(5);
        assertThat(CacheControl.parse("max-age=\"30\"").maxAge()).isEqualTo(30);
        // a quoted comma does not end the directive
        CacheControl cc = CacheControl.parse("x-ext=\"a, max-age=1\", max-age=7");
        assertThat(cc.maxAge()).isEqualTo(7);
        CacheControl escaped = CacheControl.parse("x-ext=\"a\\\"b, max-age=1\", max-age=8");
        assertThat(escaped.maxAge()).isEqualTo(8);
    }

    @Test
    void theFirstOfDuplicatesWins() {
        assertThat(CacheControl.parse("max-age=10, max-age=20").maxAge()).isEqualTo(10);
        assertThat(CacheControl.parse(List.of("max-age=30", "max-age=5")).maxAge()).isEqualTo(30);
        assertThat(CacheControl.parse("max-age=abc, max-age=20").maxAge()).isEqualTo(CacheControl.INVALID);
    }

    @Test
    void invalidDeltaSecondsAreKeptAsInvalid() {
        for (String bad : List.of("max-age=abc", "max-age=-1", "max-age=", "max-age", "max-age=1.5", "max-age=1e3",
                "max-age=\"\"", "max-age=0x10", "max-age=+5", "max-age=5 6")) {
            assertThat(CacheControl.parse(bad).maxAge()).as(bad).isEqualTo(CacheControl.INVALID);
            assertThat(CacheControl.parse(bad).present()).as(bad).isTrue();
        }
        assertThat(CacheControl.parse("max-age=0").maxAge()).isZero();
        assertThat(CacheControl.parse("public").maxAge()).isEqualTo(CacheControl.ABSENT);
    }

    @Test
    void hugeDeltaSecondsAreCappedAtTwoToTheThirtyOne() {
        assertThat(CacheControl.parse("max-age=2147483647").maxAge()).isEqualTo(2147483647L);
        assertThat(CacheControl.parse("max-age=2147483649").maxAge()).isEqualTo(CacheControl.DELTA_MAX);
        assertThat(CacheControl.parse("s-maxage=" + "9".repeat(400)).sMaxAge()).isEqualTo(CacheControl.DELTA_MAX);
    }

    @Test
    void noCacheAndPrivateTakeFieldNames() {
        CacheControl cc = CacheControl.parse("no-cache=\"Set-Cookie, X-Token\", private=\"X-User\"");
        assertThat(cc.noCache()).isFalse();
        assertThat(cc.noCacheFields()).containsExactly("set-cookie", "x-token");
        assertThat(cc.isPrivate()).isFalse();
        assertThat(cc.privateFields()).containsExactly("x-user");
        // an unquoted single name is accepted too
        assertThat(CacheControl.parse("private=x-user").privateFields()).containsExactly("x-user");
    }

    @Test
    void bareNoCacheAndPrivateWinOverQualifiedOnesWhateverTheOrder() {
        CacheControl a = CacheControl.parse("no-cache=\"a\", no-cache");
        CacheControl b = CacheControl.parse("no-cache, no-cache=\"a\"");
        assertThat(a.noCache()).isTrue();
        assertThat(b.noCache()).isTrue();
        assertThat(a.noCacheFields()).isEmpty();
        assertThat(b.noCacheFields()).isEmpty();
        assertThat(CacheControl.parse("private=\"a\", private").isPrivate()).isTrue();
        assertThat(CacheControl.parse("private, private=\"a\"").isPrivate()).isTrue();
        // an empty field list, or one of no valid field names, is the bare (stricter) form
        assertThat(CacheControl.parse("no-cache=\"\"").noCache()).isTrue();
        assertThat(CacheControl.parse("private=\"x y, \f\"").isPrivate()).isTrue();
        assertThat(CacheControl.parse("private=\"x y, ok\"").privateFields()).containsExactly("ok");
    }

    @Test
    void onlySpacesAndTabsAreOptionalWhitespace() {
        assertThat(CacheControl.parse("max-age=\t 9 \t").maxAge()).isEqualTo(9);
        assertThat(CacheControl.parse("max-age=\u000f9").maxAge()).isEqualTo(CacheControl.INVALID);
        assertThat(CacheControl.parse("max-age=9\r").maxAge()).isEqualTo(CacheControl.INVALID);
    }

    @Test
    void everyDirectiveOfTheIssueIsRead() {
        CacheControl cc = CacheControl.parse("public, proxy-revalidate, must-understand, immutable, "
                + "stale-while-revalidate=30, stale-if-error=600, no-transform, only-if-cached, max-stale, min-fresh=5");
        assertThat(cc.isPublic()).isTrue();
        assertThat(cc.proxyRevalidate()).isTrue();
        assertThat(cc.mustUnderstand()).isTrue();
        assertThat(cc.immutable()).isTrue();
        assertThat(cc.staleWhileRevalidate()).isEqualTo(30);
        assertThat(cc.staleIfError()).isEqualTo(600);
        assertThat(cc.noTransform()).isTrue();
        assertThat(cc.onlyIfCached()).isTrue();
        assertThat(cc.maxStale()).as("max-stale without a value accepts any staleness").isEqualTo(CacheControl.DELTA_MAX);
        assertThat(cc.minFresh()).isEqualTo(5);
    }

    @Test
    void emptyElementsWhitespaceAndExtensionsAreTolerated() {
        CacheControl cc = CacheControl.parse(" , ,max-age=5,, x-vendor=\"q\" , foo ,\tpublic ,");
        assertThat(cc.maxAge()).isEqualTo(5);
        assertThat(cc.isPublic()).isTrue();
        assertThat(CacheControl.parse("").present()).isFalse();
        assertThat(CacheControl.parse(" , ").present()).isFalse();
        assertThat(CacheControl.parse((String) null).present()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"", "max-age=\"", "=", "==,=", "max-age=\"12", "\\", "max-age=\"\\", ",\"\"=,", "\u0000max-age=1"})
    void malformedFieldsNeverThrow(String value) {
        CacheControl.parse(value);
        CacheControl.parseTargeted(List.of(value));
    }

    @Test
    void targetedFieldsAreStructuredDictionaries() {
        CacheControl cc = CacheControl.parseTargeted(List.of("max-age=60, stale-if-error=300", "no-cache=\"x-a\""));
        assertThat(cc.maxAge()).isEqualTo(60);
        assertThat(cc.staleIfError()).isEqualTo(300);
        assertThat(cc.noCacheFields()).containsExactly("x-a");
        assertThat(CacheControl.parseTargeted(List.of("no-store")).noStore()).isTrue();
        assertThat(CacheControl.parseTargeted(List.of("max-age=10;foo=bar")).maxAge()).as("parameters ignored").isEqualTo(10);
        assertThat(CacheControl.parseTargeted(List.of("private=(\"set-cookie\" x-b)")).privateFields())
                .containsExactly("set-cookie", "x-b");
    }

    @Test
    void targetedMembersOfTheWrongTypeAreNotConsumed() {
        assertThat(CacheControl.parseTargeted(List.of("max-age=1.5")).maxAge()).isEqualTo(CacheControl.ABSENT);
        assertThat(CacheControl.parseTargeted(List.of("max-age=\"60\"")).maxAge()).isEqualTo(CacheControl.ABSENT);
        assertThat(CacheControl.parseTargeted(List.of("max-age=-5")).maxAge()).isEqualTo(CacheControl.ABSENT);
        assertThat(CacheControl.parseTargeted(List.of("no-store=?0")).noStore()).isFalse();
        assertThat(CacheControl.parseTargeted(List.of("no-store=3")).noStore()).isFalse();
        // still a valid field: it wins over Cache-Control even with no directive consumed
        assertThat(CacheControl.parseTargeted(List.of("none")).present()).isTrue();
    }

    @Test
    void targetedFieldsThatFailToParseAreIgnored() {
        assertThat(CacheControl.parseTargeted(List.of("max-age=60,"))).isNull();
        assertThat(CacheControl.parseTargeted(List.of("Max-Age=60"))).as("keys are lower case").isNull();
        assertThat(CacheControl.parseTargeted(List.of("max-age=abc?"))).isNull();
        assertThat(CacheControl.parseTargeted(List.of(""))).isNull();
        assertThat(CacheControl.parseTargeted(List.of())).isNull();
        assertThat(CacheControl.parseTargeted(null)).isNull();
    }

    @Test
    void httpDatesInAllThreeFormats() {
        long t = Instant.parse("1994-11-06T08:49:37Z").toEpochMilli();
        assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT")).isEqualTo(t);
        assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT")).isEqualTo(t);
        assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994")).isEqualTo(t);
        assertThat(HttpDates.format(t)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
        assertThat(HttpDates.parse(HttpDates.format(1_700_000_000_000L))).isEqualTo(1_700_000_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "", "soon", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 19945 08:49:37 GMT", "Sun Nov  6 08:49:37", ",", "Sun, ", "Sun Nov 6 08:49:37 99999999999"})
    void invalidDatesAreInvalidNotExceptions(String value) {
        assertThat(HttpDates.parse(value)).isEqualTo(HttpDates.INVALID);
    }
}

package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes HTTP date parsing: nothing throws; a date that parses formats and parses back to
 * the same instant; every whole second from 1970 to 9999 round-trips and agrees with the
 * JDK's RFC 1123 formatter as a reference.
 */
class HttpDatesFuzzTest {

    private static final long MAX_SECOND = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "15m")
    @DictionaryEntries({"GMT", "Sun, ", "Nov", "Feb", " 1994 ", "08:49:37", "-94 ", "Sunday, 06-Nov-94 ", ":60"})
    void longFuzz(FuzzedDataProvider data) {
        check(data);
    }

    static void check(FuzzedDataProvider data) {
        long second = data.consumeLong(0, MAX_SECOND);
        String text = data.consumeRemainingAsString();

        String formatted = HttpDates.format(second * 1000);
        assertThat(formatted).isEqualTo(REFERENCE.format(Instant.ofEpochSecond(second)));
        assertThat(HttpDates.parse(formatted)).isEqualTo(second * 1000);

        long parsed = HttpDates.parse(text);
        if (parsed != HttpDates.INVALID) {
            assertThat(parsed % 1000).isZero();
            if (parsed >= 0 && parsed / 1000 <= MAX_SECOND) {
                assertThat(HttpDates.parse(HttpDates.format(parsed))).as(text).isEqualTo(parsed);
            }
        }
    }
}

package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes request-target and Host normalisation: the only exception is
 * {@link RequestTarget.InvalidTargetException}; normalising is idempotent
 * ({@code normalise(normalise(x)) == normalise(x)}), so a cache key can neither split nor be
 * poisoned by a second spelling; the result never keeps dot segments or lower-case escapes.
 */
class RequestTargetFuzzTest {

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "15m")
    @DictionaryEntries({"/", "/./", "/../", "%2e", "%2E", "%2f", "%25", "%7e", "?", "#", ";", "%", "..", "[::1]", ":80", ":443"})
    void longFuzz(FuzzedDataProvider data) {
        check(data);
    }

    static void check(FuzzedDataProvider data) {
        boolean https = data.consumeBoolean();
        String host = data.consumeString(80);
        String raw = data.consumeRemainingAsString();

        String h = RequestTarget.normaliseHost(host, https);
        if (h != null) {
            assertThat(RequestTarget.normaliseHost(h, https)).as("host %s", host).isEqualTo(h);
        }

        RequestTarget once;
        try {
            once = RequestTarget.parse(raw);
        } catch (RequestTarget.InvalidTargetException e) {
            return;
        }
        RequestTarget twice;
        try {
            twice = RequestTarget.parse(once.toUri());
        } catch (RequestTarget.InvalidTargetException e) {
            throw new AssertionError("the normal form of " + raw + " (" + once.toUri() + ") is refused: " + e.getMessage());
        }
        assertThat(twice).as("normalise(normalise(%s))", raw).isEqualTo(once);
        assertThat(once.path()).startsWith("/");
        for (String segment : once.path().split("/", -1)) {
            assertThat(segment).isNotIn(".", "..");
        }
        assertThat(once.toUri()).doesNotContainPattern("%[0-9A-F]?[a-f]");
    }
}

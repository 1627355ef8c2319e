package dev.outpost.edge.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.outpost.edge.server.Http2FramesFuzzTest;

/**
 * The short fuzzing run of the normal test command: one fuzz test (Jazzer fuzzes one per JVM)
 * that spreads its few seconds over the four parsers and the HTTP/2 frame follower, each input
 * going to the one its first byte picks. Each one's properties are in its own class
 * ({@link CacheControlFuzzTest}, {@link HttpDatesFuzzTest}, {@link RangesFuzzTest},
 * {@link RequestTargetFuzzTest}, {@link Http2FramesFuzzTest}), whose
 * {@code long-fuzz} tests fuzz it alone for long runs.
 */
class HttpParsersFuzzTest {

    @FuzzTest(maxDuration = "12s")
    @DictionaryEntries({"max-age=", "s-maxage=", "no-cache", "no-store", "private", "must-understand", "stale-if-error=", "\"",
            ",", "=", "?1", ";", "GMT", "Sun, ", "Nov", " 1994 ", "08:49:37", "-94 ", "bytes=", "-", "W/", "/./", "/../", "%2e",
            "%2f", "%25", "?", "#", "[::1]", ":80"})
    void fuzz(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 4)) {
            case 0 -> CacheControlFuzzTest.check(data);
            case 1 -> HttpDatesFuzzTest.check(data);
            case 2 -> RangesFuzzTest.check(data);
            case 3 -> RequestTargetFuzzTest.check(data);
            default -> Http2FramesFuzzTest.check(data);
        }
    }
}

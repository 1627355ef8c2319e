package dev.outpost.edge.http;

import dev.outpost.testing.JazzerRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short fuzzing run of the normal test command: {@link HttpParsersFuzzTest} under Jazzer's
 * coverage-guided fuzzing for its {@code maxDuration}, in a child JVM whose output (libFuzzer
 * prints a line per new input) goes to {@code target/jazzer/http-parsers-fuzz.log}; the build
 * prints one summary line. The surefire execution {@code fuzz} replays the saved inputs; the
 * {@code long-fuzz} profile fuzzes each parser alone.
 */
class HttpParsersFuzzRunTest {

    @Test
    void coverageGuidedFuzzingOfTheParsersFindsNothing() throws IOException, InterruptedException {
        JazzerRun.fuzz(HttpParsersFuzzTest.class, Path.of("target", "jazzer", "http-parsers-fuzz.log"), 300, List.of());
    }
}

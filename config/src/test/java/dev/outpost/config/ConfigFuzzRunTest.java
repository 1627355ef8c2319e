package dev.outpost.config;

import dev.outpost.testing.JazzerRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link ConfigReaderFuzzTest} under Jazzer's coverage-guided fuzzing in a child JVM
 * (Jazzer fuzzes only when {@code JAZZER_FUZZ} is set, and one target per JVM), which must end
 * with no finding: 10 s in the normal test command, and a long run tagged {@code long-fuzz}
 * (10 minutes; {@code -Doutpost.fuzz.duration=1h} for more):
 * {@code ./mvnw -pl config -am verify -Doutpost.test.all -Dtest=ConfigFuzzRunTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. A finding is saved as a crash file under
 * {@code config/src/test/resources/dev/outpost/config/ConfigReaderFuzzTestInputs/}, where the
 * normal test command replays it from then on.
 */
class ConfigFuzzRunTest {

    @Test
    void tenSecondsOfFuzzingFindNothing() throws IOException, InterruptedException {
        fuzz("10s", 300);
    }

    @Test
    @Tag("long-fuzz")
    void longFuzzingFindsNothing() throws IOException, InterruptedException {
        String duration = System.getProperty("outpost.fuzz.duration", "10m");
        fuzz(duration, Durations.parse(duration).toSeconds() + 300);
    }

    private static void fuzz(String duration, long timeoutSeconds) throws IOException, InterruptedException {
        JazzerRun.fuzz(ConfigReaderFuzzTest.class, Path.of("target", "jazzer", "config-reader-fuzz-" + duration + ".log"),
                timeoutSeconds, List.of("-Djazzer.max_duration=" + duration,
                        // path-regex is a regular expression by design, written by the operator:
                        // compiling it is not an injection. An invalid one must still be refused
                        // with a ConfigException, which the target checks itself.
                        "-Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection"));
    }
}

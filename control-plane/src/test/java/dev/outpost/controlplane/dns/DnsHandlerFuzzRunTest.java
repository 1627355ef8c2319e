package dev.outpost.controlplane.dns;

import dev.outpost.testing.JazzerRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short fuzzing run of the normal test command: {@link DnsHandlerFuzzTest} under Jazzer's
 * coverage-guided fuzzing for its {@code maxDuration} (10 s), in a child JVM (Jazzer fuzzes
 * only when {@code JAZZER_FUZZ} is set, and only one target per JVM), which must finish with no
 * finding.
 */
class DnsHandlerFuzzRunTest {

    @Test
    void tenSecondsOfCoverageGuidedFuzzingFindNothing() throws IOException, InterruptedException {
        JazzerRun.fuzz(DnsHandlerFuzzTest.class, Path.of("target", "jazzer", "dns-handler-fuzz.log"), 300,
                List.of("-Doutpost.repo.root=" + DnsTestKit.repoRoot()));
    }
}

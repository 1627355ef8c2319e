package dev.outpost.controlplane.dns;

import dev.outpost.testing.JazzerRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        String out = JazzerRun.fuzz(DnsHandlerFuzzTest.class, Path.of("target", "jazzer", "dns-handler-fuzz.log"), 120,
                List.of("-Doutpost.repo.root=" + DnsTestKit.repoRoot()));
        Matcher runs = Pattern.compile("#(\\d+)\\s+DONE").matcher(out);
        if (runs.find()) {
            System.out.println("dns handler fuzzing: " + runs.group(1) + " inputs in 10 s, 0 findings");
        }
    }
}

package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

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
        fuzz("10s", 120);
    }

    @Test
    @Tag("long-fuzz")
    void longFuzzingFindsNothing() throws IOException, InterruptedException {
        String duration = System.getProperty("outpost.fuzz.duration", "10m");
        fuzz(duration, Durations.parse(duration).toSeconds() + 300);
    }

    private static void fuzz(String duration, long timeoutSeconds) throws IOException, InterruptedException {
        Path work = Path.of("target", "jazzer");
        Files.createDirectories(work);
        Path log = work.resolve("config-reader-fuzz-" + duration + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-XX:+EnableDynamicAgentLoading");
        cmd.add("-Xshare:auto");
        cmd.add("-Xmx512m");
        cmd.add("-Djazzer.max_duration=" + duration);
        // path-regex is a regular expression by design, written by the operator: compiling it is
        // not an injection. An invalid one must still be refused with a ConfigException, which
        // the target checks itself.
        cmd.add("-Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FuzzMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAZZER_FUZZ", "1");
        Process p = pb.start();
        try {
            assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as("fuzzing finished in time").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).containsPattern("FUZZ-SUMMARY succeeded=[1-9]\\d* failed=0");
        Matcher runs = Pattern.compile("#(\\d+)\\s+DONE\\s+cov: (\\d+)").matcher(out);
        if (runs.find()) {
            System.out.println("config reader fuzzing: " + runs.group(1) + " inputs in " + duration + ", coverage "
                    + runs.group(2) + " edges, 0 findings");
        }
    }

    /** Runs the fuzz test class through the JUnit Platform and prints a one-line summary. */
    public static final class FuzzMain {
        private FuzzMain() {
        }

        public static void main(String[] args) {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(ConfigReaderFuzzTest.class))
                    .build();
            Launcher launcher = LauncherFactory.create();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            launcher.execute(request, listener);
            TestExecutionSummary s = listener.getSummary();
            s.getFailures().forEach(f -> f.getException().printStackTrace(System.out));
            System.out.println("FUZZ-SUMMARY succeeded=" + s.getTestsSucceededCount() + " failed=" + s.getTotalFailureCount());
            System.exit(s.getTotalFailureCount() == 0 ? 0 : 1);
        }
    }
}

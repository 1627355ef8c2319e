package dev.outpost.controlplane.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The short fuzzing run of the normal test command: {@link DnsHandlerFuzzTest} under Jazzer's
 * coverage-guided fuzzing for its {@code maxDuration} (10 s), in a child JVM (Jazzer fuzzes
 * only when {@code JAZZER_FUZZ} is set, and only one target per JVM), which must finish with no
 * finding.
 */
class DnsHandlerFuzzRunTest {

    @Test
    void tenSecondsOfCoverageGuidedFuzzingFindNothing() throws IOException, InterruptedException {
        Path work = Path.of("target", "jazzer");
        Files.createDirectories(work);
        Path log = work.resolve("dns-handler-fuzz.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+EnableDynamicAgentLoading");
        cmd.add("-Xshare:auto");
        cmd.add("-Xmx512m");
        cmd.add("-Doutpost.repo.root=" + DnsTestKit.repoRoot());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FuzzMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAZZER_FUZZ", "1");
        Process p = pb.start();
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("fuzzing finished in time").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).containsPattern("FUZZ-SUMMARY succeeded=[1-9]\\d* failed=0");
        Matcher runs = Pattern.compile("#(\\d+)\\s+DONE").matcher(out);
        if (runs.find()) {
            System.out.println("dns handler fuzzing: " + runs.group(1) + " inputs in 10 s, 0 findings");
        }
    }

    /** Runs the fuzz test class through the JUnit Platform and prints a one-line summary. */
    public static final class FuzzMain {
        public static void main(String[] args) {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(DnsHandlerFuzzTest.class))
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

package dev.outpost.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Fuzzes one Jazzer fuzz test class, coverage-guided, in a child JVM, and fails unless it ends
 * in time with no finding. A child, because Jazzer fuzzes only when {@code JAZZER_FUZZ} is set
 * and only one target per JVM; its working directory (the log's folder) receives any crash
 * file.
 */
public final class JazzerRun {

    private JazzerRun() {
    }

    /**
     * Runs {@code fuzzTestClass} with the test class path and {@code jvmOptions} (for example
     * {@code -Djazzer.max_duration=10s}); returns the child's output, also written to {@code log}.
     */
    public static String fuzz(Class<?> fuzzTestClass, Path log, long timeoutSeconds, List<String> jvmOptions)
            throws IOException, InterruptedException {
        Path work = log.toAbsolutePath().getParent();
        Files.createDirectories(work);
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+EnableDynamicAgentLoading");
        cmd.add("-Xshare:auto");
        cmd.add("-Xmx512m");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(JazzerRun.class.getName());
        cmd.add(fuzzTestClass.getName());
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
        return out;
    }

    /** The child: runs the fuzz test class through the JUnit Platform and prints a one-line summary. */
    public static void main(String[] args) throws ClassNotFoundException {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(Class.forName(args[0]))).build(), listener);
        TestExecutionSummary s = listener.getSummary();
        s.getFailures().forEach(f -> f.getException().printStackTrace(System.out));
        System.out.println("FUZZ-SUMMARY succeeded=" + s.getTestsSucceededCount() + " failed=" + s.getTotalFailureCount());
        System.exit(s.getTotalFailureCount() == 0 ? 0 : 1);
    }
}

package dev.outpost.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * file. Everything the fuzzer prints (thousands of lines) goes to the log under {@code target/};
 * the build's output gets one summary line per run.
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
        boolean finished;
        try {
            finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        p.waitFor(30, TimeUnit.SECONDS);
        String out = Files.readString(log);
        String summary = finished ? summary(fuzzTestClass, out, log, p.exitValue())
                : "fuzz " + fuzzTestClass.getSimpleName() + ": did not finish in " + timeoutSeconds + " s (log: "
                        + log.toAbsolutePath().normalize() + ")";
        CONSOLE.println(summary);
        CONSOLE.flush();
        assertThat(finished).as(summary).isTrue();
        assertThat(p.exitValue()).as("%s\n%s", summary, out).isZero();
        assertThat(out).as("%s\n%s", summary, out).containsPattern("FUZZ-SUMMARY succeeded=[1-9]\\d* failed=0");
        return out;
    }

    /**
     * The process's own standard error, not {@code System.err}: the test runner sends
     * {@code System.out} and {@code System.err} to per-class report files, and the summary line
     * belongs in the build's output.
     */
    private static final PrintStream CONSOLE = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
            StandardCharsets.UTF_8);

    /**
     * One line about a run: inputs tried, coverage, findings, and where the full output is,
     * e.g. {@code fuzz HttpParsersFuzzTest: 6113 inputs, coverage 611 edges, 0 findings (log: ...)}.
     */
    static String summary(Class<?> fuzzTestClass, String out, Path log, int exit) {
        Matcher done = DONE.matcher(out);
        String inputs = "? inputs";
        String coverage = "";
        while (done.find()) {
            inputs = done.group(1) + " inputs";
            coverage = done.group(2) == null ? "" : ", coverage " + done.group(2) + " edges";
        }
        Matcher result = RESULT.matcher(out);
        String findings = exit == 0 && result.find() && result.group(1).equals("0") ? "0 findings" : "FAILED (exit " + exit + ")";
        return "fuzz " + fuzzTestClass.getSimpleName() + ": " + inputs + coverage + ", " + findings + " (log: "
                + log.toAbsolutePath().normalize() + ")";
    }

    private static final Pattern DONE = Pattern.compile("#(\\d+)\\s+DONE(?:\\s+cov: (\\d+))?");
    private static final Pattern RESULT = Pattern.compile("FUZZ-SUMMARY succeeded=\\d+ failed=(\\d+)");

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

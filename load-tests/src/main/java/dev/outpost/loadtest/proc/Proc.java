package dev.outpost.loadtest.proc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external programs of the suite (wrk, h2load, nginx, varnishd, the edge node's JVM)
 * with a time bound, pinned to a set of CPUs when {@code taskset} is there. Every command the
 * suite runs goes through here, so none can hang a run.
 */
public final class Proc {

    private Proc() {
    }

    /** What a finished command printed. */
    public record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** The last non-blank line of stderr (or stdout), for one-line notes. */
        public String lastLine() {
            String s = !stderr.isBlank() ? stderr : stdout;
            String[] lines = s.strip().split("\n");
            return lines.length == 0 ? "" : lines[lines.length - 1].strip();
        }
    }

    /** Runs {@code cmd} (prefixed by {@code taskset -c cpus} when cpus is given) and waits at most {@code timeout}. */
    public static Result run(Optional<String> cpus, Duration timeout, List<String> cmd) {
        List<String> full = pinned(cpus, cmd);
        try {
            Path out = Files.createTempFile("outpost-bench-", ".out");
            Path err = Files.createTempFile("outpost-bench-", ".err");
            try {
                Process p = new ProcessBuilder(full)
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
                boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!done) {
                    kill(p.toHandle(), Duration.ofSeconds(5));
                }
                return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), !done);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(-1, "", "cannot run " + String.join(" ", full) + ": " + e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted", true);
        }
    }

    /** Starts a long-running process (a server under test) with its output appended to {@code log}. */
    public static Process start(Optional<String> cpus, List<String> cmd, Path log) {
        return start(cpus, cmd, log, null);
    }

    /**
     * Starts a long-running process in {@code workingDir} (the suite's own directory when null),
     * so that whatever it writes beside itself (a core file after a crash) stays in its work
     * directory.
     */
    public static Process start(Optional<String> cpus, List<String> cmd, Path log, Path workingDir) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            return new ProcessBuilder(pinned(cpus, cmd))
                    .directory(workingDir == null ? null : workingDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        }
    }

    /** SIGTERM to the process and its descendants, then SIGKILL to whatever is left after {@code grace}. */
    public static void kill(ProcessHandle p, Duration grace) {
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.addFirst(p);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : all) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    /** Whether {@code program} is on the PATH (or is an executable path). */
    public static boolean exists(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static List<String> pinned(Optional<String> cpus, List<String> cmd) {
        List<String> full = new ArrayList<>();
        if (cpus.isPresent() && exists("taskset")) {
            full.add("taskset");
            full.add("-c");
            full.add(cpus.get());
        }
        full.addAll(cmd);
        return full;
    }
}

package dev.outpost.loadtest.proc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bytes allocated so far by each thread of a running JVM, read from outside with
 * {@code jcmd PID Thread.print -e}: the extended thread dump prints, per thread, the same
 * counter that JFR's {@code jdk.ThreadAllocationStatistics} samples (TLABs included), as
 * {@code allocated=2946M}. HotSpot prints it in the largest unit that keeps at least three
 * digits (B, K, M, G) and truncates, so each reading is low by less than one of its unit; a
 * difference of two readings carries that error, which {@link Snapshot#uncertainty} bounds.
 */
public final class ThreadAllocations {

    private static final Pattern THREAD = Pattern.compile("(?m)^\"(.*)\" #.*? allocated=(\\d+)([BKMG])\\b");

    private ThreadAllocations() {
    }

    /** One reading: bytes and the unit they were printed in, per thread name. */
    public record Snapshot(Map<String, long[]> threads) {

        public Snapshot {
            threads = Map.copyOf(threads);
        }

        /** Bytes of the threads whose names match. */
        public long bytes(Predicate<String> names) {
            return threads.entrySet().stream().filter(e -> names.test(e.getKey())).mapToLong(e -> e.getValue()[0]).sum();
        }

        /** The largest error of {@link #bytes}: one unit per matching thread, as printed. */
        public long uncertainty(Predicate<String> names) {
            return threads.entrySet().stream().filter(e -> names.test(e.getKey())).mapToLong(e -> e.getValue()[1]).sum();
        }

        public int count(Predicate<String> names) {
            return (int) threads.keySet().stream().filter(names).count();
        }
    }

    /** Parses an extended thread dump ({@code Thread.print -e}); threads without an {@code allocated=} field are left out. */
    public static Snapshot parse(String dump) {
        Map<String, long[]> out = new LinkedHashMap<>();
        Matcher m = THREAD.matcher(dump);
        while (m.find()) {
            long unit = unit(m.group(3));
            out.merge(m.group(1), new long[] {Long.parseLong(m.group(2)) * unit, unit},
                    (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        }
        return new Snapshot(out);
    }

    static long unit(String u) {
        return switch (u) {
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            case "G" -> 1L << 30;
            default -> 1L;
        };
    }

    /** Reads the JVM {@code pid} with the {@code jcmd} of {@code javaHome}; empty (with the reason in {@code problem}) when it cannot. */
    public static Optional<Snapshot> read(Path javaHome, long pid, StringBuilder problem) {
        Proc.Result r = Proc.run(Optional.empty(), Duration.ofSeconds(30),
                List.of(javaHome.resolve("bin/jcmd").toString(), Long.toString(pid), "Thread.print", "-e"));
        if (!r.ok()) {
            problem.append("jcmd Thread.print -e failed: ").append(r.lastLine());
            return Optional.empty();
        }
        Snapshot s = parse(r.stdout());
        if (s.threads().isEmpty()) {
            problem.append("jcmd Thread.print -e printed no allocated= field");
            return Optional.empty();
        }
        return Optional.of(s);
    }

    /**
     * Bytes allocated per request by the threads whose names match, between two readings;
     * empty when there were no requests, no such thread, or when the readings' rounding could
     * move the figure by more than {@code maxError} (a fraction, e.g. 0.02).
     */
    public static OptionalDouble perRequest(Snapshot before, Snapshot after, Predicate<String> names, long requests, double maxError) {
        if (requests <= 0 || after.count(names) == 0) {
            return OptionalDouble.empty();
        }
        long delta = after.bytes(names) - before.bytes(names);
        long error = after.uncertainty(names) + before.uncertainty(names);
        if (delta <= 0 || error > maxError * delta) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(delta / (double) requests);
    }
}

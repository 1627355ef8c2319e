package dev.outpost.loadtest.load;

import dev.outpost.loadtest.proc.Proc;
import dev.outpost.loadtest.stats.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/2 (h2c, prior knowledge) load with nghttp2's h2load. Throughput comes from its summary;
 * latency percentiles from its per-request log ({@code --log-file}: start time, status,
 * microseconds to the end of the response), since the summary has only min/mean/max.
 */
public final class H2load {

    private static final Pattern FINISHED = Pattern.compile("(?m)^finished in [0-9.]+m?s, ([0-9.]+) req/s");
    private static final Pattern REQUESTS = Pattern.compile(
            "(?m)^requests: (\\d+) total, \\d+ started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile("(?m)^status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

    private H2load() {
    }

    public static List<String> command(String url, int connections, int streams, Duration duration, Path log) {
        return List.of("h2load", "-t1", "-c" + connections, "-m" + streams, "-D", Long.toString(Math.max(1, duration.toSeconds())),
                "--warm-up-time=1", "--log-file=" + log, url);
    }

    public static Optional<LoadResult> run(Optional<String> cpus, String url, int connections, int streams, Duration duration,
                                           Path workDir, StringBuilder problem) {
        Path log = workDir.resolve("h2load-" + System.nanoTime() + ".log");
        try {
            Files.createDirectories(workDir);
            Proc.Result r = Proc.run(cpus, duration.plusSeconds(30), command(url, connections, streams, duration, log));
            if (!r.ok()) {
                problem.append("h2load failed: ").append(r.lastLine());
                return Optional.empty();
            }
            return Optional.of(parse(r.stdout(), Files.exists(log) ? Files.readString(log) : ""));
        } catch (IOException | IllegalArgumentException e) {
            problem.append(e.getMessage());
            return Optional.empty();
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a leftover log in the work directory is harmless
            }
        }
    }

    /** Parses h2load's summary and its per-request log. */
    public static LoadResult parse(String summary, String requestLog) {
        Matcher f = FINISHED.matcher(summary);
        Matcher r = REQUESTS.matcher(summary);
        if (!f.find() || !r.find()) {
            throw new IllegalArgumentException("h2load output has no 'finished in' or 'requests:' line: "
                    + summary.strip().lines().reduce((a, b) -> b).orElse("(empty)"));
        }
        long total = Long.parseLong(r.group(1));
        long errors = Long.parseLong(r.group(4)) + Long.parseLong(r.group(5)) + Long.parseLong(r.group(6));
        Matcher s = STATUS.matcher(summary);
        if (s.find()) {
            errors += Long.parseLong(s.group(3)) + Long.parseLong(s.group(4));
        }
        double[] lat = latenciesMillis(requestLog);
        Arrays.sort(lat);
        return new LoadResult(Double.parseDouble(f.group(1)), Stats.percentileSorted(lat, 50), Stats.percentileSorted(lat, 99),
                total, errors);
    }

    static double[] latenciesMillis(String requestLog) {
        return requestLog.lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .map(l -> l.split("\t"))
                .filter(c -> c.length >= 3)
                .mapToDouble(c -> Long.parseLong(c[2].strip()) / 1000.0)
                .toArray();
    }
}

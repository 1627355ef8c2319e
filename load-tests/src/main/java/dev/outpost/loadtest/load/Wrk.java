package dev.outpost.loadtest.load;

import dev.outpost.loadtest.proc.Proc;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HTTP/1.1 load with wrk ({@code wrk -t1 -cN -dS --latency}), and the parser of its report. */
public final class Wrk {

    private static final Pattern RPS = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)");
    private static final Pattern REQS = Pattern.compile("(?m)^\\s*(\\d+) requests in ");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private Wrk() {
    }

    public static List<String> command(String url, int connections, Duration duration) {
        return command(url, connections, duration, List.of());
    }

    /** The command with request header fields ({@code "Accept-Encoding: gzip"}), each given with {@code -H}. */
    public static List<String> command(String url, int connections, Duration duration, List<String> headers) {
        List<String> cmd = new java.util.ArrayList<>(List.of("wrk", "-t1", "-c" + connections,
                "-d" + Math.max(1, duration.toSeconds()) + "s", "--latency", "--timeout", "5s"));
        for (String h : headers) {
            cmd.add("-H");
            cmd.add(h);
        }
        cmd.add(url);
        return List.copyOf(cmd);
    }

    /** Runs wrk on {@code cpus}; empty (with the reason on stderr of the result) when it failed. */
    public static Optional<LoadResult> run(Optional<String> cpus, String url, int connections, Duration duration,
                                           StringBuilder problem) {
        return run(cpus, url, connections, duration, List.of(), problem);
    }

    /** Runs wrk with request header fields ({@code "Accept-Encoding: gzip"}). */
    public static Optional<LoadResult> run(Optional<String> cpus, String url, int connections, Duration duration,
                                           List<String> headers, StringBuilder problem) {
        Proc.Result r = Proc.run(cpus, duration.plusSeconds(30), command(url, connections, duration, headers));
        if (!r.ok()) {
            problem.append("wrk failed: ").append(r.lastLine());
            return Optional.empty();
        }
        try {
            return Optional.of(parse(r.stdout()));
        } catch (IllegalArgumentException e) {
            problem.append(e.getMessage());
            return Optional.empty();
        }
    }

    /** Parses wrk's {@code --latency} report. */
    public static LoadResult parse(String out) {
        Matcher rps = RPS.matcher(out);
        Matcher reqs = REQS.matcher(out);
        if (!rps.find() || !reqs.find()) {
            throw new IllegalArgumentException("wrk output has no Requests/sec or request count: "
                    + out.strip().lines().reduce((a, b) -> b).orElse("(empty)"));
        }
        double p50 = percentile(out, "50%");
        double p99 = percentile(out, "99%");
        long errors = 0;
        Matcher s = SOCKET.matcher(out);
        if (s.find()) {
            for (int i = 1; i <= 4; i++) {
                errors += Long.parseLong(s.group(i));
            }
        }
        Matcher n = NON2XX.matcher(out);
        if (n.find()) {
            errors += Long.parseLong(n.group(1));
        }
        return new LoadResult(Double.parseDouble(rps.group(1)), p50, p99, Long.parseLong(reqs.group(1)), errors);
    }

    private static double percentile(String out, String label) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(label) + "\\s+([0-9.]+)(us|ms|s|m)\\s*$").matcher(out);
        if (!m.find()) {
            throw new IllegalArgumentException("wrk output has no " + label + " latency (was --latency given?)");
        }
        return toMillis(Double.parseDouble(m.group(1)), m.group(2));
    }

    static double toMillis(double v, String unit) {
        return switch (unit) {
            case "us" -> v / 1000.0;
            case "ms" -> v;
            case "s" -> v * 1000.0;
            case "m" -> v * 60_000.0;
            default -> throw new IllegalArgumentException("unknown wrk time unit " + unit);
        };
    }
}

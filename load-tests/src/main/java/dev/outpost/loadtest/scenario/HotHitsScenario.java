package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.H2load;
import dev.outpost.loadtest.load.LoadResult;
import dev.outpost.loadtest.load.RawHttpClient;
import dev.outpost.loadtest.load.Wrk;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.proc.ThreadAllocations;
import dev.outpost.loadtest.report.ChartSpec;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Target;
import dev.outpost.loadtest.stats.Stats;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * Issue 7, scenario 1: hot hits of a 1 KiB and a 256 KiB object over 64 keep-alive connections,
 * HTTP/1.1 with wrk and HTTP/2 (h2c, one stream per connection) with h2load, the load
 * generator on the client core and the cache on the server core. The objects are fetched
 * twice before measuring, and the origin's counters must not move while measuring (otherwise
 * the figure is not of hits, and a note says so). Outpost's allocation per HTTP/1.1 1 KiB hit
 * is read from its I/O threads' allocation counters around each measured load. With
 * {@code --cores 1,2} every case runs once more on fresh systems placed on both cores (the load
 * generator sharing them), and each system's scaling factor is reported.
 */
public final class HotHitsScenario implements Scenario {

    static final int CONNECTIONS = 64;

    record Case(String key, String label, String path, boolean h2) {
    }

    static final List<Case> CASES = List.of(
            new Case("h1-1k", "HTTP/1.1 1 KiB", "/obj/1KiB/hot", false),
            new Case("h1-256k", "HTTP/1.1 256 KiB", "/obj/256KiB/hot", false),
            new Case("h2-1k", "HTTP/2 1 KiB", "/obj/1KiB/hot", true),
            new Case("h2-256k", "HTTP/2 256 KiB", "/obj/256KiB/hot", true));

    @Override
    public String id() {
        return "hot";
    }

    @Override
    public String title() {
        return "Hot hits";
    }

    static String description() {
        return "Requests/s and latency of cache hits: one object of 1 KiB and one of 256 KiB, " + CONNECTIONS
                + " keep-alive connections, HTTP/1.1 with `wrk -t1 -c64 --latency` and HTTP/2 (h2c, prior knowledge, "
                + "1 stream per connection) with `h2load -t1 -c64 -m1`; median of the rounds. Allocation per hit (Outpost only, "
                + "the peers have no JVM): bytes allocated by the edge's I/O threads during each measured HTTP/1.1 1 KiB load "
                + "(`jcmd PID Thread.print -e` before and after, the counter JFR's jdk.ThreadAllocationStatistics reads) divided "
                + "by wrk's request count. With `--cores 1,2` every case runs again with the systems on two cores (nginx 2 "
                + "workers, Varnish 2 thread pools, ATS 2 exec threads, Outpost's default of one I/O thread per CPU); "
                + "rows marked \"2 cores\" are from that pass, and the scaling rows divide each system's 2-core median by its "
                + "own 1-core median (the ratio columns then compare the scaling factors). Where the load generator ran is in the notes.";
    }

    /** Threads of the edge that a memory hit runs on: XNIO's I/O threads of the worker named "edge". */
    static final Predicate<String> EDGE_IO_THREADS = name -> name.startsWith("edge I/O-");

    /** The largest error that the thread dump's rounding may put on allocation per hit before it is left out. */
    static final double MAX_ALLOCATION_ERROR = 0.02;

    /** Metric keys of a core count: today's keys at one core, suffixed beyond. */
    static String suffix(int cores) {
        return cores == 1 ? "" : "@" + cores + "c";
    }

    static String label(String label, int cores) {
        return cores == 1 ? label : label + ", " + cores + " cores";
    }

    @Override
    public Section run(BenchContext ctx) {
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        List<BenchContext.CoreSetup> setups = ctx.hotCoreSetups();
        for (String tool : List.of("wrk", "h2load")) {
            if (!dev.outpost.loadtest.proc.Proc.exists(tool)) {
                notes.add(tool + " is not installed: its cases are not measured (run load-tests/run as root to install it)");
            }
        }
        for (BenchContext.CoreSetup setup : setups) {
            notes.add("Load generator at " + setup.cores() + " core" + (setup.cores() == 1 ? "" : "s") + ": " + setup.placement());
            pass(ctx, setup, s, notes);
        }
        List<Integer> cores = setups.stream().map(BenchContext.CoreSetup::cores).toList();
        return new Section(id(), title(), description(), metrics(s, cores), List.of(), notes, charts(s, cores),
                targets(s, ctx.options().isQuick()));
    }

    /** The report's rows: each core count's cases and allocation per hit, then each case's scaling from one core. */
    static List<Metric> metrics(RoundSamples s, List<Integer> cores) {
        List<Metric> metrics = new ArrayList<>();
        for (int n : cores) {
            String x = suffix(n);
            for (Case c : CASES) {
                metrics.add(s.metric(c.key() + ".rps" + x, label(c.label() + " throughput", n), "req/s", 0, Metric.Better.HIGHER));
                metrics.add(s.metric(c.key() + ".p50" + x, label(c.label() + " latency p50", n), "ms", 3, Metric.Better.LOWER));
                metrics.add(s.metric(c.key() + ".p99" + x, label(c.label() + " latency p99", n), "ms", 3, Metric.Better.LOWER));
            }
            metrics.add(s.metric("h1-1k.alloc" + x, label("HTTP/1.1 1 KiB allocation per hit", n), "bytes", 0, Metric.Better.LOWER));
        }
        if (cores.contains(1)) {
            for (int n : cores) {
                if (n == 1) {
                    continue;
                }
                for (Case c : CASES) {
                    metrics.add(scaling(s, c.key() + ".rps", n, c.label() + " scaling, 1 to " + n + " cores"));
                }
            }
        }
        return metrics;
    }

    /** Each system's req/s at {@code cores} divided by its own req/s at one core (medians of the rounds). */
    static Metric scaling(RoundSamples s, String key, int cores, String name) {
        Metric m = Metric.of(name, "×", 2, Metric.Better.HIGHER);
        for (SystemKind k : SystemKind.values()) {
            m = m.with(k, Stats.ratio(s.median(key + suffix(cores), k), s.median(key, k)));
        }
        return m;
    }

    /** Every case for every system placed as {@code setup} says: fresh systems, warm-up, then the rounds. */
    private void pass(BenchContext ctx, BenchContext.CoreSetup setup, RoundSamples s, List<String> notes) {
        BenchOptions o = ctx.options();
        int n = setup.cores();
        String x = suffix(n);
        String at = n == 1 ? "" : "at " + n + " cores: ";
        Optional<String> clientCpus = setup.systems().env().clientCpus();
        Map<SystemKind, CacheSystem> running = new EnumMap<>(SystemKind.class);
        var deadline = ctx.deadline(Duration.ofMinutes(6));
        List<String> allocationProblems = new ArrayList<>();
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (SystemKind k : ctx.measured()) {
                try {
                    CacheSystem sys = setup.systems().start(k, origin.url(), Sizing.roomy());
                    running.put(k, sys);
                    notes.add(at + sys.settings());
                    for (Case c : CASES) {
                        warm(sys, c.path());
                    }
                } catch (Systems.StartException | IOException e) {
                    notes.add(at + k.display() + " not measured: " + e.getMessage());
                }
            }
            if (o.hotWarmup()) {
                // a JIT compiles the hit path under load: without this, a JVM's first seconds are measured
                for (SystemKind k : running.keySet()) {
                    for (Case c : CASES) {
                        measure(clientCpus, ctx, running.get(k), c, Duration.ofSeconds(2), new StringBuilder());
                    }
                }
            }
            int rounds = 0;
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                for (Case c : CASES) {
                    for (SystemKind k : ctx.order(r)) {
                        CacheSystem sys = running.get(k);
                        if (sys == null) {
                            continue;
                        }
                        ctx.progress("hot: " + (n == 1 ? "" : n + " cores, ") + "round " + (r + 1) + " " + c.label() + " " + k.display());
                        boolean allocation = k == SystemKind.OUTPOST && c.key().equals("h1-1k");
                        StringBuilder why = new StringBuilder();
                        Optional<ThreadAllocations.Snapshot> allocBefore = allocation
                                ? ThreadAllocations.read(ctx.env().javaHome(), sys.pid(), why) : Optional.empty();
                        long before = origin.requests();
                        StringBuilder problem = new StringBuilder();
                        Optional<LoadResult> res = measure(clientCpus, ctx, sys, c, o.hotDuration(), problem);
                        long originDuring = origin.requests() - before;
                        Optional<ThreadAllocations.Snapshot> allocAfter = allocation && allocBefore.isPresent()
                                ? ThreadAllocations.read(ctx.env().javaHome(), sys.pid(), why) : Optional.empty();
                        if (res.isEmpty()) {
                            if (problem.isEmpty()) {
                                continue;
                            }
                            notes.add(at + k.display() + " " + c.label() + " round " + (r + 1) + ": " + problem);
                            continue;
                        }
                        LoadResult lr = res.get();
                        if (!lr.valid()) {
                            notes.add(String.format(Locale.ROOT, "%s%s %s round %d: %d of %d requests failed; figure left out",
                                    at, k.display(), c.label(), r + 1, lr.errors(), lr.requests()));
                            continue;
                        }
                        if (originDuring > 0) {
                            notes.add(String.format(Locale.ROOT, "%s%s %s round %d: the origin saw %d requests while measuring hits",
                                    at, k.display(), c.label(), r + 1, originDuring));
                        }
                        s.add(c.key() + ".rps" + x, k, lr.requestsPerSecond());
                        s.add(c.key() + ".p50" + x, k, lr.p50Millis());
                        s.add(c.key() + ".p99" + x, k, lr.p99Millis());
                        if (allocation) {
                            OptionalDouble perHit = allocationPerHit(allocBefore, allocAfter, lr.requests(), why);
                            if (perHit.isPresent()) {
                                s.add("h1-1k.alloc" + x, k, perHit.getAsDouble());
                            } else {
                                allocationProblems.add("round " + (r + 1) + ": " + why);
                            }
                        }
                    }
                }
                rounds++;
            }
            if (rounds < o.rounds()) {
                notes.add(at + "time bound (" + deadline.budget().toSeconds() + "s) reached after " + rounds + " of " + o.rounds() + " rounds");
            }
        } finally {
            running.values().forEach(CacheSystem::close);
        }
        if (!allocationProblems.isEmpty()) {
            notes.add(at + "Outpost's allocation per hit not measured in " + String.join("; ", allocationProblems));
        }
    }

    /** Bytes per hit from two readings of the edge's I/O threads, or empty with the reason in {@code why}. */
    static OptionalDouble allocationPerHit(Optional<ThreadAllocations.Snapshot> before, Optional<ThreadAllocations.Snapshot> after,
                                           long hits, StringBuilder why) {
        if (before.isEmpty() || after.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (after.get().count(EDGE_IO_THREADS) == 0) {
            why.append("no thread named \"edge I/O-N\" in the edge's thread dump");
            return OptionalDouble.empty();
        }
        OptionalDouble v = ThreadAllocations.perRequest(before.get(), after.get(), EDGE_IO_THREADS, hits, MAX_ALLOCATION_ERROR);
        if (v.isEmpty()) {
            why.append("the thread dump's rounding could move the figure by more than ")
                    .append(Math.round(MAX_ALLOCATION_ERROR * 100)).append('%');
        }
        return v;
    }

    static void warm(CacheSystem sys, String path) throws IOException {
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 10_000)) {
            for (int i = 0; i < 3; i++) {
                RawHttpClient.Response r = c.get(path);
                if (r.status() != 200) {
                    throw new IOException("warming " + path + " answered " + r.status());
                }
            }
        }
    }

    private static Optional<LoadResult> measure(Optional<String> clientCpus, BenchContext ctx, CacheSystem sys, Case c, Duration d,
                                                StringBuilder problem) {
        if (!dev.outpost.loadtest.proc.Proc.exists(c.h2() ? "h2load" : "wrk")) {
            return Optional.empty();
        }
        if (c.h2()) {
            return H2load.run(clientCpus, "http://127.0.0.1:" + sys.h2Port() + c.path(), CONNECTIONS, 1, d,
                    ctx.env().workDir(), problem);
        }
        return Wrk.run(clientCpus, "http://127.0.0.1:" + sys.port() + c.path(), CONNECTIONS, d, problem);
    }

    static List<ChartSpec> charts(RoundSamples s) {
        return charts(s, List.of(1));
    }

    static List<ChartSpec> charts(RoundSamples s, List<Integer> cores) {
        List<String> cats = CASES.stream().map(Case::label).toList();
        Map<String, List<Double>> rps = new LinkedHashMap<>();
        Map<String, List<Double>> p50 = new LinkedHashMap<>();
        Map<String, List<Double>> p99 = new LinkedHashMap<>();
        for (SystemKind k : SystemKind.values()) {
            rps.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".rps", k))).toList());
            p50.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".p50", k))).toList());
            p99.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".p99", k))).toList());
        }
        List<ChartSpec> out = new ArrayList<>(List.of(
                new ChartSpec.Bars("hot-throughput.png", "Hot hits: requests/s (higher is better)", "req/s", cats, rps),
                new ChartSpec.Bars("hot-latency-p50.png", "Hot hits: latency p50 (lower is better)", "ms", cats, p50),
                new ChartSpec.Bars("hot-latency-p99.png", "Hot hits: latency p99 (lower is better)", "ms", cats, p99)));
        if (cores.contains(1)) {
            for (int n : cores) {
                if (n == 1) {
                    continue;
                }
                Map<String, List<Double>> scale = new LinkedHashMap<>();
                for (SystemKind k : SystemKind.values()) {
                    scale.put(k.display(), CASES.stream().map(c -> or(scaling(s, c.key() + ".rps", n, "").value(k))).toList());
                }
                out.add(new ChartSpec.Bars("hot-scaling-" + n + "c.png", "Hot hits: requests/s at " + n
                        + " cores ÷ at 1 core (higher is better)", "×", cats, scale));
            }
        }
        return out;
    }

    static double or(OptionalDouble d) {
        return d.isPresent() ? d.getAsDouble() : Double.NaN;
    }

    /**
     * Hot-hit requests/s at least nginx's, for each case. A quick run's verdict is marked
     * indicative: one 2 s load per case on a JVM whose JIT is still settling.
     */
    static List<Target> targets(RoundSamples s, boolean quick) {
        List<Target> out = new ArrayList<>();
        for (Case c : CASES) {
            String goal = "Hot hits " + c.label() + ": requests/s >= nginx's";
            OptionalDouble ours = s.median(c.key() + ".rps", SystemKind.OUTPOST);
            OptionalDouble nginx = s.median(c.key() + ".rps", SystemKind.NGINX);
            if (ours.isEmpty() || nginx.isEmpty()) {
                out.add(new Target(goal, Target.Status.NOT_MEASURED, ours.isEmpty() ? "no Outpost figure" : "no nginx figure"));
                continue;
            }
            double ratio = ours.getAsDouble() / nginx.getAsDouble();
            String detail = String.format(Locale.ROOT, "Outpost %,.0f req/s, nginx %,.0f req/s (%.2f×)",
                    ours.getAsDouble(), nginx.getAsDouble(), ratio)
                    + (quick ? " (quick run: one 2 s load per case, indicative only; the full run's verdict counts)" : "");
            out.add(ratio >= 1.0 ? new Target(goal, Target.Status.MET, detail)
                    : new Target(goal, Target.Status.NOT_MET, detail + String.format(Locale.ROOT, "; short by %,.0f req/s (%.1f%%)",
                    nginx.getAsDouble() - ours.getAsDouble(), (1 - ratio) * 100)));
        }
        return out;
    }
}

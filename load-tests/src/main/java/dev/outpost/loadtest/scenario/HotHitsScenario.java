package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.H2load;
import dev.outpost.loadtest.load.LoadResult;
import dev.outpost.loadtest.load.RawHttpClient;
import dev.outpost.loadtest.load.Wrk;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.report.ChartSpec;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Target;
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

/**
 * Issue 7, scenario 1: hot hits of a 1 KiB and a 256 KiB object over 64 keep-alive connections,
 * HTTP/1.1 with wrk and HTTP/2 (h2c, one stream per connection) with h2load, the load
 * generator on the client core and the cache on the server core. The objects are fetched
 * twice before measuring, and the origin's counters must not move while measuring (otherwise
 * the figure is not of hits, and a note says so).
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
                + "1 stream per connection) with `h2load -t1 -c64 -m1`; median of the rounds.";
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        Map<SystemKind, CacheSystem> running = new EnumMap<>(SystemKind.class);
        var deadline = ctx.deadline(Duration.ofMinutes(6));
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (SystemKind k : ctx.measured()) {
                try {
                    CacheSystem sys = ctx.systems().start(k, origin.url(), Sizing.roomy());
                    running.put(k, sys);
                    notes.add(sys.settings());
                    for (Case c : CASES) {
                        warm(sys, c.path());
                    }
                } catch (Systems.StartException | IOException e) {
                    notes.add(k.display() + " not measured: " + e.getMessage());
                }
            }
            for (String tool : List.of("wrk", "h2load")) {
                if (!dev.outpost.loadtest.proc.Proc.exists(tool)) {
                    notes.add(tool + " is not installed: its cases are not measured (run load-tests/run as root to install it)");
                }
            }
            if (o.hotWarmup()) {
                // a JIT compiles the hit path under load: without this, a JVM's first seconds are measured
                for (SystemKind k : running.keySet()) {
                    for (Case c : CASES) {
                        measure(ctx, running.get(k), c, Duration.ofSeconds(2), new StringBuilder());
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
                        ctx.progress("hot: round " + (r + 1) + " " + c.label() + " " + k.display());
                        long before = origin.requests();
                        StringBuilder problem = new StringBuilder();
                        Optional<LoadResult> res = measure(ctx, sys, c, o.hotDuration(), problem);
                        long originDuring = origin.requests() - before;
                        if (res.isEmpty()) {
                            if (problem.isEmpty()) {
                                continue;
                            }
                            notes.add(k.display() + " " + c.label() + " round " + (r + 1) + ": " + problem);
                            continue;
                        }
                        LoadResult lr = res.get();
                        if (!lr.valid()) {
                            notes.add(String.format(Locale.ROOT, "%s %s round %d: %d of %d requests failed; figure left out",
                                    k.display(), c.label(), r + 1, lr.errors(), lr.requests()));
                            continue;
                        }
                        if (originDuring > 0) {
                            notes.add(String.format(Locale.ROOT, "%s %s round %d: the origin saw %d requests while measuring hits",
                                    k.display(), c.label(), r + 1, originDuring));
                        }
                        s.add(c.key() + ".rps", k, lr.requestsPerSecond());
                        s.add(c.key() + ".p50", k, lr.p50Millis());
                        s.add(c.key() + ".p99", k, lr.p99Millis());
                    }
                }
                rounds++;
            }
            if (rounds < o.rounds()) {
                notes.add("time bound (" + deadline.budget().toSeconds() + "s) reached after " + rounds + " of " + o.rounds() + " rounds");
            }
        } finally {
            running.values().forEach(CacheSystem::close);
        }
        List<Metric> metrics = new ArrayList<>();
        for (Case c : CASES) {
            metrics.add(s.metric(c.key() + ".rps", c.label() + " throughput", "req/s", 0, Metric.Better.HIGHER));
            metrics.add(s.metric(c.key() + ".p50", c.label() + " latency p50", "ms", 3, Metric.Better.LOWER));
            metrics.add(s.metric(c.key() + ".p99", c.label() + " latency p99", "ms", 3, Metric.Better.LOWER));
        }
        return new Section(id(), title(), description(), metrics, List.of(), notes, charts(s), targets(s, o.isQuick()));
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

    private static Optional<LoadResult> measure(BenchContext ctx, CacheSystem sys, Case c, Duration d, StringBuilder problem) {
        if (!dev.outpost.loadtest.proc.Proc.exists(c.h2() ? "h2load" : "wrk")) {
            return Optional.empty();
        }
        if (c.h2()) {
            return H2load.run(ctx.env().clientCpus(), "http://127.0.0.1:" + sys.h2Port() + c.path(), CONNECTIONS, 1, d,
                    ctx.env().workDir(), problem);
        }
        return Wrk.run(ctx.env().clientCpus(), "http://127.0.0.1:" + sys.port() + c.path(), CONNECTIONS, d, problem);
    }

    static List<ChartSpec> charts(RoundSamples s) {
        List<String> cats = CASES.stream().map(Case::label).toList();
        Map<String, List<Double>> rps = new LinkedHashMap<>();
        Map<String, List<Double>> p50 = new LinkedHashMap<>();
        Map<String, List<Double>> p99 = new LinkedHashMap<>();
        for (SystemKind k : SystemKind.values()) {
            rps.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".rps", k))).toList());
            p50.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".p50", k))).toList());
            p99.put(k.display(), CASES.stream().map(c -> or(s.median(c.key() + ".p99", k))).toList());
        }
        return List.of(
                new ChartSpec.Bars("hot-throughput.png", "Hot hits: requests/s (higher is better)", "req/s", cats, rps),
                new ChartSpec.Bars("hot-latency-p50.png", "Hot hits: latency p50 (lower is better)", "ms", cats, p50),
                new ChartSpec.Bars("hot-latency-p99.png", "Hot hits: latency p99 (lower is better)", "ms", cats, p99));
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

package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.Herd;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.report.ChartSpec;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Table;
import dev.outpost.loadtest.report.Target;
import dev.outpost.loadtest.stats.Stats;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Issue 7, scenario 3 (and issue 3's collapsing benchmark): 200 clients ask at once for one
 * uncached object that the origin answers after 1 s. Counts the origin requests for that object
 * and the waiters' latency percentiles. A new object per round, so every round starts cold.
 */
public final class HerdScenario implements Scenario {

    static final double MARGIN_MILLIS = 20;
    /**
     * Unmeasured herds per system before the rounds: enough requests through the collapsing path
     * for a JIT to have compiled it (with 10, Outpost's compiler threads were still busy on the
     * node's core during the measured herds).
     */
    static final int WARM_UP_HERDS = 50;
    /** A --quick run's warm-up: its figures are not comparable with a full run's anyway. */
    static final int QUICK_WARM_UP_HERDS = 20;
    /** Pause between connecting the herd and sending it, so every connection has been accepted. */
    static final Duration SETTLE = Duration.ofMillis(300);

    @Override
    public String id() {
        return "herd";
    }

    @Override
    public String title() {
        return "Thundering herd";
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        Map<SystemKind, List<Long>> originPerRound = new EnumMap<>(SystemKind.class);
        Map<SystemKind, CacheSystem> running = Map.of();
        var deadline = ctx.deadline(Duration.ofMinutes(2));
        int rounds = 0;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            running = ctx.startMeasured(origin.url(), Sizing.roomy(), notes);
            // unmeasured herds per system first (on objects the origin answers after 50 ms), so that
            // what is measured is each system's collapsing path as it runs once it has been serving,
            // not a JVM's first passes through it in the interpreter
            for (SystemKind k : ctx.measured()) {
                CacheSystem sys = running.get(k);
                if (sys != null) {
                    ctx.progress("herd: warm-up " + k.display());
                    try {
                        for (int i = 0; i < warmUpHerds(o); i++) {
                            Herd.run(sys.port(), "/slow/50/1KiB/herd-warm-up-" + i, o.herdClients(), 30_000);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Section.skipped(id(), title(), description(o), "interrupted");
                    }
                }
            }
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                String path = "/slow/" + o.herdDelayMillis() + "/1KiB/herd-" + r;
                for (SystemKind k : ctx.order(r)) {
                    CacheSystem sys = running.get(k);
                    if (sys == null) {
                        continue;
                    }
                    ctx.progress("herd: round " + (r + 1) + " " + k.display());
                    long before = origin.requests(path);
                    try {
                        Herd.Result h = Herd.run(sys.port(), path, o.herdClients(), 30_000, SETTLE);
                        Thread.sleep(200); // late background fetches still count
                        long originRequests = origin.requests(path) - before;
                        originPerRound.computeIfAbsent(k, x -> new ArrayList<>()).add(originRequests);
                        s.add("origin", k, originRequests);
                        if (h.failures() > 0) {
                            notes.add(String.format(Locale.ROOT, "%s round %d: %d of %d clients failed (%s)", k.display(), r + 1,
                                    h.failures(), o.herdClients(), h.firstFailure()));
                        }
                        if (h.latenciesMillis().length > 0) {
                            s.add("p50", k, Stats.percentile(h.latenciesMillis(), 50));
                            s.add("p99", k, Stats.percentile(h.latenciesMillis(), 99));
                            s.add("max", k, Stats.percentile(h.latenciesMillis(), 100));
                        }
                        s.add("failed", k, h.failures());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Section.skipped(id(), title(), description(o), "interrupted");
                    }
                }
                rounds++;
            }
        } finally {
            running.values().forEach(CacheSystem::close);
        }
        if (rounds < o.rounds()) {
            notes.add("time bound (" + deadline.budget().toSeconds() + "s) reached after " + rounds + " of " + o.rounds() + " rounds");
        }
        notes.add("nginx's proxy_cache_lock makes waiters poll the lock every 500 ms, which shows in its latency; ATS's waiters "
                + "retry their cache read every 10 ms until the one fill has its response (read-while-writer).");
        List<Metric> metrics = List.of(
                s.metric("origin", "Origin requests for the object", "requests", 1, Metric.Better.LOWER),
                s.metric("p50", "Waiters' latency p50", "ms", 1, Metric.Better.LOWER),
                s.metric("p99", "Waiters' latency p99", "ms", 1, Metric.Better.LOWER),
                s.metric("max", "Waiters' latency max", "ms", 1, Metric.Better.LOWER),
                s.metric("failed", "Failed clients", "clients", 0, Metric.Better.LOWER));
        List<List<String>> rows = new ArrayList<>();
        for (SystemKind k : SystemKind.values()) {
            List<Long> per = originPerRound.getOrDefault(k, List.of());
            rows.add(List.of(k.display(), per.isEmpty() ? "n/a" : per.toString()));
        }
        Table perRound = new Table("Origin requests per round", List.of("System", "Rounds"), rows);
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (SystemKind k : SystemKind.values()) {
            series.put(k.display(), List.of(HotHitsScenario.or(s.median("p50", k)), HotHitsScenario.or(s.median("p99", k))));
        }
        List<ChartSpec> charts = List.of(new ChartSpec.Bars("herd-latency.png",
                "Thundering herd: waiters' latency, origin answers after " + o.herdDelayMillis() + " ms (lower is better)", "ms",
                List.of("p50", "p99"), series));
        return new Section(id(), title(), description(o), metrics, List.of(perRound), notes, charts,
                List.of(target(s, originPerRound.getOrDefault(SystemKind.OUTPOST, List.of()), o.herdDelayMillis())));
    }

    static int warmUpHerds(BenchOptions o) {
        return o.isQuick() ? QUICK_WARM_UP_HERDS : WARM_UP_HERDS;
    }

    static String description(BenchOptions o) {
        return o.herdClients() + " clients, connected first (then " + SETTLE.toMillis() + " ms for the server to accept them all), "
                + "send the same GET at once (one thread writes the requests back to back and reads the answers through a selector) "
                + "for an uncached 1 KiB object that the origin answers after " + o.herdDelayMillis() + " ms; origin requests for "
                + "that object, and the waiters' latency (each from its own send to the last byte) percentiles; median of the rounds, "
                + "after " + warmUpHerds(o) + " unmeasured herds per system on objects the origin answers after 50 ms.";
    }

    static Target target(RoundSamples s, List<Long> outpostOriginPerRound, long delay) {
        String goal = "Thundering herd: exactly 1 origin request and waiter p99 <= origin latency + 20 ms";
        OptionalDouble p99 = s.median("p99", SystemKind.OUTPOST);
        if (outpostOriginPerRound.isEmpty() || p99.isEmpty()) {
            return new Target(goal, Target.Status.NOT_MEASURED, "no Outpost figure");
        }
        boolean one = outpostOriginPerRound.stream().allMatch(n -> n == 1);
        double limit = delay + MARGIN_MILLIS;
        boolean fast = p99.getAsDouble() <= limit;
        String detail = String.format(Locale.ROOT, "origin requests per round %s; p99 %.1f ms against %.0f ms",
                outpostOriginPerRound, p99.getAsDouble(), limit);
        if (one && fast) {
            return new Target(goal, Target.Status.MET, detail);
        }
        List<String> shortfalls = new ArrayList<>();
        if (!one) {
            shortfalls.add("up to " + outpostOriginPerRound.stream().mapToLong(Long::longValue).max().orElse(0) + " origin requests");
        }
        if (!fast) {
            shortfalls.add(String.format(Locale.ROOT, "p99 over by %.1f ms", p99.getAsDouble() - limit));
        }
        return new Target(goal, Target.Status.NOT_MET, detail + "; " + String.join(", ", shortfalls));
    }
}

package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.TraceReplay;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.report.ChartSpec;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Table;
import dev.outpost.loadtest.report.Target;
import dev.outpost.loadtest.sim.HitRatioSimulator;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import dev.outpost.loadtest.zipf.ZipfTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Issue 7, scenario 4: the seeded Zipf trace (s = 0.9, 100,000 requests over 10,000 objects of
 * 4 KiB) replayed against a fresh instance of every system with a cache of 10% of the working
 * set, the same budget for all; hit ratio = 1 - origin requests / requests, counted at the
 * origin. Then the curve of hit ratio against capacity (2% to 50%), next to the simulator's
 * Caffeine W-TinyLFU and LRU on the same trace.
 */
public final class HitRatioScenario implements Scenario {

    static final int CONNECTIONS = 32;

    @Override
    public String id() {
        return "zipf";
    }

    @Override
    public String title() {
        return "Hit ratio (Zipf)";
    }

    static String description(BenchOptions o) {
        return String.format(Locale.ROOT, "A seeded Zipf trace (s = %.1f, seed %d) of %,d requests over %,d objects of %d KiB, "
                        + "replayed over %d keep-alive connections in trace order against a fresh instance of each system; cache "
                        + "budget %.0f%% of the working set (the same for every system); hit ratio = 1 - origin requests / requests. "
                        + "Then hit ratio against capacity, beside the simulator (Caffeine W-TinyLFU as the edge's memory tier uses it, "
                        + "LRU, and the edge's disk tier policy, which bounds what a node holds) "
                        + "on the same trace.",
                o.zipfExponent(), o.zipfSeed(), o.zipfRequests(), o.zipfObjects(), o.zipfObjectSize() / 1024, CONNECTIONS,
                o.zipfCapacity() * 100);
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        int[] trace = new ZipfTrace(o.zipfObjects(), o.zipfExponent()).generate(o.zipfSeed(), o.zipfRequests());
        String prefix = "/obj/" + o.zipfObjectSize() + "/z-";
        long workingSet = (long) o.zipfObjects() * o.zipfObjectSize();
        RoundSamples main = new RoundSamples();
        Map<Double, RoundSamples> curve = new LinkedHashMap<>();
        Map<SystemKind, String> held = new LinkedHashMap<>();
        var deadline = ctx.deadline(Duration.ofMinutes(12));
        int rounds = 0;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                replayAll(ctx, origin, trace, prefix, workingSet, o.zipfCapacity(), r, main, notes, held, deadline.nanos());
                rounds++;
            }
            for (double f : o.curve()) {
                if (deadline.passed()) {
                    notes.add(String.format(Locale.ROOT, "time bound reached: curve point %.0f%% and later not measured", f * 100));
                    break;
                }
                if (f == o.zipfCapacity()) {
                    curve.put(f, main);
                    continue;
                }
                RoundSamples cs = new RoundSamples();
                Map<SystemKind, String> heldAt = new LinkedHashMap<>();
                for (int r = 0; r < o.curveRounds(); r++) {
                    replayAll(ctx, origin, trace, prefix, workingSet, f, r, cs, notes, heldAt, deadline.nanos());
                }
                curve.put(f, cs);
                // ATS is only run at the points where its span can be sized like the others' caches: say what it held there
                String atsHeld = heldAt.get(SystemKind.ATS);
                if (atsHeld != null) {
                    notes.add("ATS objects held at the end of the " + pct(f) + " run: " + atsHeld + " (budget "
                            + (long) (o.zipfObjects() * f) + " objects)");
                }
            }
        }
        if (rounds < o.rounds()) {
            notes.add("time bound (" + ctx.options().budget(Duration.ofMinutes(12)).toSeconds() + "s) reached after " + rounds
                    + " of " + o.rounds() + " rounds");
        }
        held.forEach((k, v) -> notes.add(k.display() + " objects held at the end of the last " + pct(o.zipfCapacity())
                + " run: " + v + " (budget " + (long) (o.zipfObjects() * o.zipfCapacity()) + " objects)"));
        notes.add("Curve points other than " + pct(o.zipfCapacity()) + " are " + o.curveRounds() + " round(s) each.");

        long capacityBytes = (long) (workingSet * o.zipfCapacity());
        double simCaffeine = HitRatioSimulator.simulate(HitRatioSimulator.Policy.CAFFEINE_W_TINYLFU, trace, capacityBytes,
                o.zipfObjectSize()).hitRatio();
        double simLru = HitRatioSimulator.simulate(HitRatioSimulator.Policy.LRU, trace, capacityBytes, o.zipfObjectSize()).hitRatio();
        double simDisk = HitRatioSimulator.simulate(HitRatioSimulator.Policy.OUTPOST_DISK, trace, capacityBytes,
                o.zipfObjectSize()).hitRatio();
        int distinct = ZipfTrace.distinct(trace);
        List<Metric> metrics = List.of(
                main.metric("hit", "Hit ratio at " + pct(o.zipfCapacity()) + " capacity", "ratio", 4, Metric.Better.HIGHER),
                main.metric("header", "Hit ratio by the responses' cache-status headers (cross-check)", "ratio", 4, Metric.Better.HIGHER),
                main.metric("origin", "Origin requests", "requests", 0, Metric.Better.LOWER),
                main.metric("rps", "Replay rate (" + CONNECTIONS + " connections)", "req/s", 0, Metric.Better.HIGHER));
        List<List<String>> rows = new ArrayList<>();
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (SystemKind k : SystemKind.values()) {
            series.put(k.display(), new ArrayList<>());
        }
        series.put("sim: " + HitRatioSimulator.Policy.CAFFEINE_W_TINYLFU.display(), new ArrayList<>());
        series.put("sim: " + HitRatioSimulator.Policy.LRU.display(), new ArrayList<>());
        series.put("sim: " + HitRatioSimulator.Policy.OUTPOST_DISK.display(), new ArrayList<>());
        for (double f : o.curve()) {
            long cap = (long) (workingSet * f);
            double c = HitRatioSimulator.simulate(HitRatioSimulator.Policy.CAFFEINE_W_TINYLFU, trace, cap, o.zipfObjectSize()).hitRatio();
            double l = HitRatioSimulator.simulate(HitRatioSimulator.Policy.LRU, trace, cap, o.zipfObjectSize()).hitRatio();
            double d = HitRatioSimulator.simulate(HitRatioSimulator.Policy.OUTPOST_DISK, trace, cap, o.zipfObjectSize()).hitRatio();
            List<String> row = new ArrayList<>();
            row.add(pct(f));
            RoundSamples cs = curve.get(f);
            for (SystemKind k : SystemKind.values()) {
                OptionalDouble v = cs == null ? OptionalDouble.empty() : cs.median("hit", k);
                row.add(v.isPresent() ? String.format(Locale.ROOT, "%.4f", v.getAsDouble()) : "n/a");
                series.get(k.display()).add(new double[] {f * 100, v.isPresent() ? v.getAsDouble() : Double.NaN});
            }
            row.add(String.format(Locale.ROOT, "%.4f", c));
            row.add(String.format(Locale.ROOT, "%.4f", l));
            row.add(String.format(Locale.ROOT, "%.4f", d));
            series.get("sim: " + HitRatioSimulator.Policy.CAFFEINE_W_TINYLFU.display()).add(new double[] {f * 100, c});
            series.get("sim: " + HitRatioSimulator.Policy.LRU.display()).add(new double[] {f * 100, l});
            series.get("sim: " + HitRatioSimulator.Policy.OUTPOST_DISK.display()).add(new double[] {f * 100, d});
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("Capacity"));
        for (SystemKind k : SystemKind.values()) {
            header.add(k.display());
        }
        header.add("sim: Caffeine W-TinyLFU");
        header.add("sim: LRU");
        header.add("sim: " + HitRatioSimulator.Policy.OUTPOST_DISK.display());
        Table curveTable = new Table("Hit ratio against capacity (share of the working set)", header, rows);
        Table sim = new Table("Simulator on the same trace at " + pct(o.zipfCapacity()), List.of("Policy", "Hit ratio"), List.of(
                List.of("Caffeine W-TinyLFU", String.format(Locale.ROOT, "%.4f", simCaffeine)),
                List.of("LRU", String.format(Locale.ROOT, "%.4f", simLru)),
                List.of(HitRatioSimulator.Policy.OUTPOST_DISK.display() + " (DiskPolicy without I/O)", String.format(Locale.ROOT, "%.4f",
                        simDisk)),
                List.of("Best possible (only compulsory misses)", String.format(Locale.ROOT, "%.4f",
                        1 - distinct / (double) trace.length))));
        List<ChartSpec> charts = List.of(new ChartSpec.Lines("hit-ratio-curve.png", "Hit ratio against cache capacity (Zipf s="
                + o.zipfExponent() + ")", "capacity, % of the working set", "hit ratio", series));
        return new Section(id(), title(), description(o), metrics, List.of(sim, curveTable), notes, charts,
                List.of(target(main, o.zipfCapacity())));
    }

    private static void replayAll(BenchContext ctx, BenchOrigin origin, int[] trace, String prefix, long workingSet, double fraction,
                                  int round, RoundSamples out, List<String> notes, Map<SystemKind, String> held, long deadline) {
        long capacity = (long) (workingSet * fraction);
        Sizing sizing = new Sizing(capacity, ctx.options().zipfObjectSize(), false);
        for (SystemKind k : ctx.order(round)) {
            if (System.nanoTime() > deadline) {
                notes.add(k.display() + " at " + pct(fraction) + " round " + (round + 1) + ": not run, time bound reached");
                continue;
            }
            ctx.progress(String.format(Locale.ROOT, "zipf: capacity %s round %d %s", pct(fraction), round + 1, k.display()));
            try (CacheSystem sys = ctx.systems().start(k, origin.url(), sizing)) {
                long before = origin.requests(prefix);
                TraceReplay.Result r = TraceReplay.run(sys.port(), trace, id -> prefix + id, CONNECTIONS, deadline);
                Thread.sleep(200);
                long originRequests = origin.requests(prefix) - before;
                if (r.requests() < trace.length) {
                    notes.add(String.format(Locale.ROOT, "%s at %s: time bound hit after %,d of %,d requests; figure left out",
                            k.display(), pct(fraction), r.requests(), trace.length));
                    continue;
                }
                if (r.failures() > r.requests() / 100) {
                    notes.add(String.format(Locale.ROOT, "%s at %s: %,d failed requests (%s); figure left out", k.display(),
                            pct(fraction), r.failures(), r.firstFailure()));
                    continue;
                }
                out.add("hit", k, 1.0 - originRequests / (double) r.requests());
                out.add("origin", k, originRequests);
                out.add("header", k, r.headerHits() / (double) r.requests());
                out.add("rps", k, r.requests() / r.seconds());
                if (round == 0 || held.containsKey(k)) {
                    held.put(k, sys.objectsHeld().toString());
                }
                if (round == 0 && fraction == ctx.options().zipfCapacity()) {
                    notes.add(sys.settings());
                }
            } catch (Systems.StartException e) {
                notes.add(k.display() + " at " + pct(fraction) + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String pct(double f) {
        return String.format(Locale.ROOT, "%.0f%%", f * 100);
    }

    static Target target(RoundSamples s, double capacity) {
        String goal = "Zipf hit ratio at " + pct(capacity) + " capacity above both peers";
        OptionalDouble ours = s.median("hit", SystemKind.OUTPOST);
        if (ours.isEmpty()) {
            return new Target(goal, Target.Status.NOT_MEASURED, "no Outpost figure");
        }
        List<String> parts = new ArrayList<>();
        List<String> shortfalls = new ArrayList<>();
        int peers = 0;
        for (SystemKind k : List.of(SystemKind.NGINX, SystemKind.VARNISH)) {
            OptionalDouble theirs = s.median("hit", k);
            if (theirs.isEmpty()) {
                parts.add(k.display() + " n/a");
                continue;
            }
            peers++;
            parts.add(String.format(Locale.ROOT, "%s %.4f", k.display(), theirs.getAsDouble()));
            if (ours.getAsDouble() <= theirs.getAsDouble()) {
                shortfalls.add(String.format(Locale.ROOT, "%.4f below %s", theirs.getAsDouble() - ours.getAsDouble(), k.display()));
            }
        }
        String detail = String.format(Locale.ROOT, "Outpost %.4f; ", ours.getAsDouble()) + String.join(", ", parts);
        if (peers == 0) {
            return new Target(goal, Target.Status.NOT_MEASURED, detail + " (no peer measured)");
        }
        return shortfalls.isEmpty() ? new Target(goal, Target.Status.MET, detail)
                : new Target(goal, Target.Status.NOT_MET, detail + "; " + String.join(", ", shortfalls));
    }
}

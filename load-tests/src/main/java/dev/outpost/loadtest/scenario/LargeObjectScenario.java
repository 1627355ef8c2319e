package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.RawHttpClient;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.proc.Proc;
import dev.outpost.loadtest.proc.ProcessMemory;
import dev.outpost.loadtest.report.ChartSpec;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Target;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Issue 7, scenario 2: one large object (1 GiB in a full run) through a cold cache (streamed
 * from the origin while stored) and then warm (from the cache), one client on the client core;
 * MiB/s, and the node's resident memory (peak RSS of its process tree over the two transfers,
 * reset before them) and, for Outpost, its heap from the GC log: the heap after a forced
 * collection before the transfers is the baseline; live growth is the largest occupancy after a
 * collection during the transfers minus that baseline; the peak (before collections, garbage
 * included) bounds it from above.
 */
public final class LargeObjectScenario implements Scenario {

    static final long MIB = 1L << 20;

    @Override
    public String id() {
        return "large";
    }

    @Override
    public String title() {
        return "Large object";
    }

    static String description(long size) {
        return "One " + size / MIB + " MiB object fetched through a cold cache (streamed while stored), then again warm; "
                + "one HTTP/1.1 client. A fresh instance of every system per round, disk-backed storage "
                + "(nginx's cache directory, Varnish's file storage, Outpost's disk tier, ATS's span file, which is on tmpfs).";
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        long size = o.largeObjectBytes();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        var deadline = ctx.deadline(Duration.ofMinutes(4));
        int rounds = 0;
        boolean settingsNoted = false;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                String path = "/obj/" + size / MIB + "MiB/large-" + r;
                for (SystemKind k : ctx.order(r)) {
                    ctx.progress("large: round " + (r + 1) + " " + k.display());
                    try (CacheSystem sys = ctx.systems().start(k, origin.url(), Sizing.large())) {
                        if (!settingsNoted) {
                            notes.add(sys.settings());
                        }
                        measure(ctx, sys, origin, path, size, r, s, notes);
                    } catch (Systems.StartException e) {
                        notes.add(k.display() + " round " + (r + 1) + ": " + e.getMessage());
                    }
                }
                settingsNoted = true;
                rounds++;
            }
        }
        if (rounds < o.rounds()) {
            notes.add("time bound (" + deadline.budget().toSeconds() + "s) reached after " + rounds + " of " + o.rounds() + " rounds");
        }
        List<Metric> metrics = List.of(
                s.metric("cold", "Cold (miss, streamed and stored)", "MiB/s", 1, Metric.Better.HIGHER),
                s.metric("warm", "Warm (hit)", "MiB/s", 1, Metric.Better.HIGHER),
                s.metric("rss.peak", "Peak RSS during the transfers", "MiB", 1, Metric.Better.LOWER),
                s.metric("rss.growth", "RSS growth over the transfers", "MiB", 1, Metric.Better.LOWER),
                s.metric("heap.live", "Heap growth, live (after GC)", "MiB", 1, Metric.Better.LOWER),
                s.metric("heap.peak", "Heap growth, peak incl. garbage", "MiB", 1, Metric.Better.LOWER));
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (SystemKind k : SystemKind.values()) {
            series.put(k.display(), List.of(HotHitsScenario.or(s.median("cold", k)), HotHitsScenario.or(s.median("warm", k))));
        }
        List<ChartSpec> charts = List.of(new ChartSpec.Bars("large-throughput.png",
                "Large object (" + size / MIB + " MiB): MiB/s (higher is better)", "MiB/s", List.of("cold", "warm"), series));
        notes.add("Heap figures exist only for Outpost (a JVM); nginx, Varnish and ATS have no heap, their memory is the RSS row.");
        return new Section(id(), title(), description(size), metrics, List.of(), notes, charts, List.of(target(s, size)));
    }

    private static void measure(BenchContext ctx, CacheSystem sys, BenchOrigin origin, String path, long size, int round,
                                RoundSamples s, List<String> notes) {
        SystemKind k = sys.kind();
        Optional<Path> gc = sys.gcLog();
        long gcOffset = 0;
        if (gc.isPresent()) {
            jcmdGc(ctx, sys.pid());
            gcOffset = length(gc.get());
        }
        long rssBefore = ProcessMemory.rss(sys.pid());
        boolean reset = ProcessMemory.resetPeak(sys.pid());
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 120_000)) {
            long t0 = System.nanoTime();
            RawHttpClient.Response cold = c.get(path);
            long t1 = System.nanoTime();
            if (cold.status() != 200 || cold.bodyBytes() != size) {
                notes.add(k.display() + " round " + (round + 1) + ": cold fetch answered " + cold.status() + " with "
                        + cold.bodyBytes() + " bytes");
                return;
            }
            s.add("cold", k, mibPerSecond(size, t1 - t0));
            waitStored();
            long originBefore = origin.requests(path);
            long t2 = System.nanoTime();
            RawHttpClient.Response warm = c.get(path);
            long t3 = System.nanoTime();
            if (warm.status() == 200 && warm.bodyBytes() == size) {
                s.add("warm", k, mibPerSecond(size, t3 - t2));
                if (origin.requests(path) > originBefore) {
                    notes.add(k.display() + " round " + (round + 1) + ": the warm fetch went to the origin again (not stored; "
                            + "cache status of the cold fetch: '" + cold.cacheStatus() + "', of the warm one: '" + warm.cacheStatus() + "')");
                }
            } else {
                notes.add(k.display() + " round " + (round + 1) + ": warm fetch answered " + warm.status());
            }
        } catch (IOException e) {
            notes.add(k.display() + " round " + (round + 1) + ": " + e.getMessage());
            return;
        }
        long peak = ProcessMemory.peakRss(sys.pid());
        if (reset && peak > 0) {
            s.add("rss.peak", k, peak / (double) MIB);
            s.add("rss.growth", k, Math.max(0, peak - rssBefore) / (double) MIB);
        }
        if (gc.isPresent()) {
            String log = read(gc.get());
            List<GcLog.Gc> before = GcLog.parse(log.substring(0, (int) Math.min(gcOffset, log.length())));
            List<GcLog.Gc> during = GcLog.parse(log.substring((int) Math.min(gcOffset, log.length())));
            // the transfers' end: one more forced collection shows what was used (garbage included) at the end
            jcmdGc(ctx, sys.pid());
            List<GcLog.Gc> after = GcLog.parse(read(gc.get()).substring((int) Math.min(gcOffset, log.length())));
            if (!before.isEmpty()) {
                long base = before.getLast().after();
                long live = during.stream().mapToLong(GcLog.Gc::after).max().orElse(base);
                long peakHeap = after.stream().mapToLong(GcLog.Gc::before).max().orElse(base);
                s.add("heap.live", k, Math.max(0, live - base) / (double) MIB);
                s.add("heap.peak", k, Math.max(0, peakHeap - base) / (double) MIB);
            } else {
                notes.add(k.display() + " round " + (round + 1) + ": no GC line before the transfer (jcmd missing?), heap not measured");
            }
        }
    }

    /** A cache may finish storing just after the last byte went out: give it a moment (bounded). */
    private static void waitStored() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void jcmdGc(BenchContext ctx, long pid) {
        Path jcmd = ctx.env().javaHome().resolve("bin/jcmd");
        Proc.run(Optional.empty(), Duration.ofSeconds(30), List.of(jcmd.toString(), Long.toString(pid), "GC.run"));
    }

    static double mibPerSecond(long bytes, long nanos) {
        return bytes / (double) MIB / (nanos / 1e9);
    }

    private static long length(Path p) {
        return read(p).length();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static Target target(RoundSamples s, long size) {
        String goal = "Large object (" + size / MIB + " MiB): heap growth < 64 MiB";
        OptionalDouble live = s.median("heap.live", SystemKind.OUTPOST);
        OptionalDouble peak = s.median("heap.peak", SystemKind.OUTPOST);
        if (live.isEmpty()) {
            return new Target(goal, Target.Status.NOT_MEASURED, "no Outpost figure");
        }
        double worst = s.get("heap.live", SystemKind.OUTPOST).stream().mapToDouble(Double::doubleValue).max().orElse(live.getAsDouble());
        String detail = String.format(Locale.ROOT, "live growth %.1f MiB (median; worst round %.1f MiB), peak incl. garbage %.1f MiB",
                live.getAsDouble(), worst, peak.orElse(Double.NaN));
        if (size < (1L << 30)) {
            detail += "; measured with a " + size / MIB + " MiB object (quick run), not 1 GiB";
        }
        return worst < 64 ? new Target(goal, Target.Status.MET, detail)
                : new Target(goal, Target.Status.NOT_MET, detail + String.format(Locale.ROOT, "; over by %.1f MiB", worst - 64));
    }
}

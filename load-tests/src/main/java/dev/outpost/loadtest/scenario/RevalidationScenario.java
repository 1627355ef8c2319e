package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.RawHttpClient;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 7, scenario 5 (and issue 3's revalidation benchmark): objects with an ETag and a 1 s
 * max-age are fetched once (a full fetch), left to go stale, and fetched again. A cache that
 * revalidates sends conditional requests and gets 304s with no body; one that refetches pays
 * the whole body again. Reported: origin body bytes of the second pass against the first.
 */
public final class RevalidationScenario implements Scenario {

    /** max-age is one second; Age counts whole seconds, so wait a little over two to be surely stale. */
    static final Duration STALE_WAIT = Duration.ofMillis(2300);

    @Override
    public String id() {
        return "revalidation";
    }

    @Override
    public String title() {
        return "Revalidation";
    }

    static String description(BenchOptions o) {
        return String.format(Locale.ROOT, "%d objects of %d KiB with a strong ETag, Last-Modified and `max-age=1`: fetched once, "
                + "left to go stale, fetched again. Origin body bytes of the second pass against the first (a full refetch costs "
                + "1.0); 304 answers counted at the origin.", o.revalidationObjects(), o.revalidationObjectSize() / 1024);
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        Map<SystemKind, CacheSystem> running = Map.of();
        var deadline = ctx.deadline(Duration.ofMinutes(1));
        int rounds = 0;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            running = ctx.startMeasured(origin.url(), Sizing.roomy(), notes);
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                ctx.progress("revalidation: round " + (r + 1));
                Map<SystemKind, long[]> first = new EnumMap<>(SystemKind.class);
                for (SystemKind k : ctx.order(r)) {
                    CacheSystem sys = running.get(k);
                    if (sys != null) {
                        String prefix = prefix(o, r, k);
                        long b0 = origin.bodyBytes(prefix);
                        if (pass(sys, prefix, o.revalidationObjects(), notes)) {
                            first.put(k, new long[] {origin.bodyBytes(prefix) - b0});
                        }
                    }
                }
                Thread.sleep(STALE_WAIT.toMillis());
                for (SystemKind k : ctx.order(r)) {
                    CacheSystem sys = running.get(k);
                    if (sys == null || !first.containsKey(k)) {
                        continue;
                    }
                    String prefix = prefix(o, r, k);
                    long b0 = origin.bodyBytes(prefix);
                    long q0 = origin.requests(prefix);
                    long n0 = origin.notModified(prefix);
                    if (!pass(sys, prefix, o.revalidationObjects(), notes)) {
                        continue;
                    }
                    Thread.sleep(300); // background refreshes (Varnish's grace) still count
                    long bytes = origin.bodyBytes(prefix) - b0;
                    long full = first.get(k)[0];
                    s.add("bytes", k, bytes / 1024.0);
                    s.add("full", k, full / 1024.0);
                    s.add("ratio", k, full == 0 ? Double.NaN : bytes / (double) full);
                    s.add("requests", k, origin.requests(prefix) - q0);
                    s.add("304", k, origin.notModified(prefix) - n0);
                }
                rounds++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.values().forEach(CacheSystem::close);
        }
        if (rounds < o.rounds()) {
            notes.add("time bound reached after " + rounds + " of " + o.rounds() + " rounds");
        }
        List<Metric> metrics = List.of(
                s.metric("full", "Origin body bytes, first (full) fetch", "KiB", 0, Metric.Better.NEITHER),
                s.metric("bytes", "Origin body bytes, after going stale", "KiB", 0, Metric.Better.LOWER),
                s.metric("ratio", "Revalidation bytes ÷ full refetch bytes", "ratio", 4, Metric.Better.LOWER),
                s.metric("requests", "Origin requests after going stale", "requests", 0, Metric.Better.NEITHER),
                s.metric("304", "304 Not Modified answers", "answers", 0, Metric.Better.HIGHER));
        return new Section(id(), title(), description(o), metrics, List.of(), notes, List.of(), List.of());
    }

    private static String prefix(BenchOptions o, int round, SystemKind k) {
        return "/ttl/1/" + o.revalidationObjectSize() + "/rv-" + round + "-" + k.id() + "-";
    }

    private static boolean pass(CacheSystem sys, String prefix, int objects, List<String> notes) {
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 10_000)) {
            for (int i = 0; i < objects; i++) {
                RawHttpClient.Response r = c.get(prefix + i);
                if (r.status() != 200) {
                    notes.add(sys.kind().display() + ": " + prefix + i + " answered " + r.status());
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            notes.add(sys.kind().display() + ": " + e.getMessage());
            return false;
        }
    }
}

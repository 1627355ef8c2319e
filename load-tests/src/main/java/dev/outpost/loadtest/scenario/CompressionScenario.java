package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.LoadResult;
import dev.outpost.loadtest.load.RawHttpClient;
import dev.outpost.loadtest.load.Wrk;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.proc.ProcessMemory;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Table;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Compression at the edge (issue 18): Outpost with a {@code compress} rule (gzip at level 6, br
 * at 4, zstd at 3) beside nginx with {@code proxy_cache} and {@code gzip on} at level 6, in
 * the same run, in front of the same origin's text objects ({@code /text/SIZE/ID}: synthetic
 * HTML-like text, see {@code BenchOrigin}). Reported: bytes sent for the text corpus with gzip
 * against its uncompressed size (and Outpost's br and zstd), hit throughput for a 64 KiB text
 * object asked with {@code Accept-Encoding: gzip}, and the server's CPU time per miss with gzip
 * and without (their difference is the compression's share). Varnish is not set up to compress.
 */
public final class CompressionScenario implements Scenario {

    static final int CONNECTIONS = 64;
    static final List<Integer> SIZES = List.of(2 * 1024, 8 * 1024, 32 * 1024, 128 * 1024);
    static final String HOT_SIZE = "64KiB";

    @Override
    public String id() {
        return "compress";
    }

    @Override
    public String title() {
        return "Compression at the edge";
    }

    static int corpusObjects(BenchOptions o) {
        return o.isQuick() ? 60 : 200;
    }

    static String description(BenchOptions o) {
        return String.format(Locale.ROOT, "A text corpus of %d objects (2, 8, 32 and 128 KiB in turn; synthetic HTML-like text "
                + "from the bench origin) fetched through each system: once without Accept-Encoding (identity misses), once "
                + "with `Accept-Encoding: gzip` (compressed misses; other objects), then again (hits). CPU is the server "
                + "process tree's user+system time over each pass, after a warm-up pass of 40 objects each way; bytes are "
                + "the bodies received. Hit throughput: one %s text object, `wrk -t1 -c%d -d%ds -H 'Accept-Encoding: gzip'`, "
                + "after 3 warm-up fetches and a 1 s warm-up load. Outpost: `compress` rule on /text/ (gzip 6, br 4, zstd 3), "
                + "which stores the encoded variant; nginx: proxy_cache with `gzip on`, `gzip_comp_level 6`, which compresses "
                + "every response, hits included. Fresh instance per round.",
                corpusObjects(o), HOT_SIZE, CONNECTIONS, o.hotDuration().toSeconds());
    }

    /** The path of corpus object {@code i} of a pass. */
    static String path(String pass, int round, SystemKind k, int i) {
        return "/text/" + SIZES.get(i % SIZES.size()) + "/" + pass + "-" + round + "-" + k.id() + "-" + i;
    }

    /** One pass over the corpus: bytes received, objects answered with {@code expectEncoding} (or none), errors. */
    record Pass(long bodyBytes, long identityBytes, int encoded, int failed, long cpuMillis) {
    }

    static Pass pass(CacheSystem sys, String pass, int round, int objects, String acceptEncoding, String expectEncoding)
            throws IOException {
        long bytes = 0;
        long identity = 0;
        int encoded = 0;
        int failed = 0;
        long cpu0 = ProcessMemory.cpuMillis(sys.pid());
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 30_000)) {
            for (int i = 0; i < objects; i++) {
                RawHttpClient.Response r = acceptEncoding == null ? c.get(path(pass, round, sys.kind(), i))
                        : c.get(path(pass, round, sys.kind(), i), "Accept-Encoding", acceptEncoding);
                if (r.status() != 200) {
                    failed++;
                    continue;
                }
                bytes += r.bodyBytes();
                identity += SIZES.get(i % SIZES.size());
                if (expectEncoding != null && expectEncoding.equalsIgnoreCase(c.lastContentEncoding())) {
                    encoded++;
                }
            }
        }
        long cpu = ProcessMemory.cpuMillis(sys.pid()) - cpu0;
        return new Pass(bytes, identity, encoded, failed, cpu);
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        var deadline = ctx.deadline(Duration.ofMinutes(4));
        int rounds = 0;
        int n = corpusObjects(o);
        Map<String, List<Double>> outpostSavings = new LinkedHashMap<>();
        Map<SystemKind, String> settings = new java.util.EnumMap<>(SystemKind.class);
        boolean varnishNoted = false;
        boolean atsNoted = false;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                for (SystemKind k : ctx.order(r)) {
                    if (k == SystemKind.VARNISH) {
                        if (!varnishNoted) {
                            notes.add("Varnish not measured: no compression set-up in this suite (it would need beresp.do_gzip in VCL)");
                            varnishNoted = true;
                        }
                        continue;
                    }
                    if (k == SystemKind.ATS) {
                        if (!atsNoted) {
                            notes.add("ATS not measured: no compression set-up in this suite (it would need its compress plugin)");
                            atsNoted = true;
                        }
                        continue;
                    }
                    ctx.progress("compress: round " + (r + 1) + ", " + k.display());
                    try (CacheSystem sys = ctx.systems().startCompressing(k, origin.url())) {
                        settings.putIfAbsent(k, sys.settings());
                        measure(ctx, origin, sys, r, n, s, outpostSavings, notes);
                    } catch (Systems.StartException e) {
                        if (r == 0) {
                            notes.add(k.display() + " not measured: " + e.getMessage());
                        }
                    } catch (IOException e) {
                        notes.add(k.display() + ", round " + (r + 1) + ": " + e.getMessage());
                    }
                }
                rounds++;
            }
        }
        notes.addAll(settings.values());
        notes.add("Outpost's rule: `--rules '" + Systems.OUTPOST_COMPRESS_RULES + "'`.");
        if (rounds < o.rounds()) {
            notes.add("time bound reached after " + rounds + " of " + o.rounds() + " rounds");
        }
        List<Metric> metrics = List.of(
                s.metric("gzipRatio", "Corpus bytes with gzip ÷ uncompressed", "ratio", 4, Metric.Better.LOWER),
                s.metric("saved", "Bytes saved by gzip on the corpus", "%", 1, Metric.Better.HIGHER),
                s.metric("hitRate", "Hits/s, " + HOT_SIZE + " text, Accept-Encoding: gzip", "req/s", 0, Metric.Better.HIGHER),
                s.metric("hitMiB", "Hit throughput, compressed bytes", "MiB/s", 1, Metric.Better.HIGHER),
                s.metric("cpuGzipMiss", "CPU per miss, gzip", "ms", 3, Metric.Better.LOWER),
                s.metric("cpuPlainMiss", "CPU per miss, identity", "ms", 3, Metric.Better.LOWER),
                s.metric("cpuCompress", "CPU per miss, compression's share (gzip − identity)", "ms", 3, Metric.Better.LOWER),
                s.metric("cpuGzipHit", "CPU per hit, gzip (corpus pass)", "ms", 3, Metric.Better.LOWER));
        List<List<String>> rows = new ArrayList<>();
        for (var e : outpostSavings.entrySet()) {
            double median = dev.outpost.loadtest.stats.Stats.median(e.getValue()).orElse(Double.NaN);
            rows.add(List.of(e.getKey(), String.format(Locale.ROOT, "%.4f", median),
                    String.format(Locale.ROOT, "%.1f %%", 100 * (1 - median))));
        }
        List<Table> tables = rows.isEmpty() ? List.of()
                : List.of(new Table("Outpost: corpus bytes per encoding ÷ uncompressed (stored variants, median)",
                        List.of("encoding", "ratio", "saved"), rows));
        return new Section(id(), title(), description(o), metrics, tables, notes, List.of(), List.of());
    }

    private static void measure(BenchContext ctx, BenchOrigin origin, CacheSystem sys, int r, int n, RoundSamples s,
                                Map<String, List<Double>> outpostSavings, List<String> notes) throws IOException {
        SystemKind k = sys.kind();
        // warm-up (a JIT compiles the paths), on objects of their own
        pass(sys, "warm-plain", r, 40, null, null);
        pass(sys, "warm-gzip", r, 40, "gzip", "gzip");
        Pass plain = pass(sys, "plain", r, n, null, null);
        Pass gzipMiss = pass(sys, "gzip", r, n, "gzip", "gzip");
        Pass gzipHit = pass(sys, "gzip", r, n, "gzip", "gzip");
        if (plain.failed() + gzipMiss.failed() + gzipHit.failed() > 0) {
            notes.add(k.display() + ", round " + (r + 1) + ": " + (plain.failed() + gzipMiss.failed() + gzipHit.failed())
                    + " corpus requests were not answered 200");
        }
        if (gzipHit.encoded() < n) {
            notes.add(k.display() + ", round " + (r + 1) + ": " + (n - gzipHit.encoded()) + " of " + n
                    + " gzip hits came back without Content-Encoding: gzip");
        }
        double ratio = gzipHit.bodyBytes() / (double) gzipHit.identityBytes();
        s.add("gzipRatio", k, ratio);
        s.add("saved", k, 100 * (1 - ratio));
        s.add("cpuGzipMiss", k, gzipMiss.cpuMillis() / (double) n);
        s.add("cpuPlainMiss", k, plain.cpuMillis() / (double) n);
        s.add("cpuCompress", k, (gzipMiss.cpuMillis() - plain.cpuMillis()) / (double) n);
        s.add("cpuGzipHit", k, gzipHit.cpuMillis() / (double) n);
        if (k == SystemKind.OUTPOST) {
            outpostSavings.computeIfAbsent("gzip (level 6)", e -> new ArrayList<>()).add(ratio);
            for (String enc : List.of("br", "zstd")) {
                pass(sys, "gzip", r, n, enc, enc); // the variant's miss
                Pass hit = pass(sys, "gzip", r, n, enc, enc);
                outpostSavings.computeIfAbsent(enc + (enc.equals("br") ? " (quality 4)" : " (level 3)"),
                        e -> new ArrayList<>()).add(hit.bodyBytes() / (double) hit.identityBytes());
                if (hit.encoded() < n) {
                    notes.add("Outpost, round " + (r + 1) + ": " + (n - hit.encoded()) + " of " + n + " " + enc
                            + " hits came back without Content-Encoding: " + enc);
                }
            }
        }
        // hit throughput
        String hot = "/text/" + HOT_SIZE + "/hot-" + r + "-" + k.id();
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 30_000)) {
            for (int i = 0; i < 3; i++) {
                c.get(hot, "Accept-Encoding", "gzip");
            }
        }
        String url = "http://127.0.0.1:" + sys.port() + hot;
        List<String> ae = List.of("Accept-Encoding: gzip");
        StringBuilder problem = new StringBuilder();
        Wrk.run(ctx.env().clientCpus(), url, CONNECTIONS, Duration.ofSeconds(1), ae, problem);
        long before = origin.requests(hot);
        long hitBytes;
        try (RawHttpClient c = new RawHttpClient("127.0.0.1", sys.port(), 30_000)) {
            hitBytes = c.get(hot, "Accept-Encoding", "gzip").bodyBytes();
        }
        Optional<LoadResult> res = Wrk.run(ctx.env().clientCpus(), url, CONNECTIONS, ctx.options().hotDuration(), ae, problem);
        if (res.isEmpty()) {
            notes.add(k.display() + ", round " + (r + 1) + ": " + problem);
            return;
        }
        if (origin.requests(hot) != before) {
            notes.add(k.display() + ", round " + (r + 1) + ": the origin was asked for the hot object during the load ("
                    + (origin.requests(hot) - before) + " requests)");
        }
        if (res.get().errors() > 0) {
            notes.add(k.display() + ", round " + (r + 1) + ": " + res.get().errors() + " errors during the hit load");
        }
        s.add("hitRate", k, res.get().requestsPerSecond());
        s.add("hitMiB", k, res.get().requestsPerSecond() * hitBytes / (1024.0 * 1024.0));
    }
}

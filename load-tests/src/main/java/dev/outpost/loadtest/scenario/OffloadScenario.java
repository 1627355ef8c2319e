package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.TraceReplay;
import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Table;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import dev.outpost.loadtest.zipf.ZipfTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 6's benchmark: origin offload (client requests / origin requests) for the Zipf trace
 * spread over three Outpost edges, first standalone (each edge fetches its own misses), then
 * with one shield node in front of the origin ({@code --shield URL} on every edge,
 * {@code --role shield} on the shield). Outpost only: nginx and Varnish have no shield tier
 * of their own to compare with. When the shield feature's own in-process benchmark
 * ({@code dev.outpost.loadtest.offload.*Bench}) is present, its figures join the section.
 */
public final class OffloadScenario implements Scenario {

    static final int EDGES = 3;

    @Override
    public String id() {
        return "offload";
    }

    @Override
    public String title() {
        return "Origin offload with a shield (Outpost only)";
    }

    static String description(BenchOptions o) {
        return String.format(Locale.ROOT, "The Zipf trace (%,d requests over %,d objects of %d KiB) sent round-robin to %d Outpost "
                        + "edges, each with a cache of %.0f%% of the working set; once with the edges fetching from the origin, once "
                        + "through one shield with the same cache. Offload = client requests / origin requests.",
                o.zipfRequests(), o.zipfObjects(), o.zipfObjectSize() / 1024, EDGES, o.zipfCapacity() * 100);
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        if (!ctx.measured().contains(SystemKind.OUTPOST)) {
            return Section.skipped(id(), title(), description(o), "Outpost is not measured in this run: "
                    + ctx.skipped().getOrDefault(SystemKind.OUTPOST, "not selected"));
        }
        List<String> notes = new ArrayList<>();
        int[] trace = new ZipfTrace(o.zipfObjects(), o.zipfExponent()).generate(o.zipfSeed(), o.zipfRequests());
        String prefix = "/obj/" + o.zipfObjectSize() + "/z-";
        Sizing sizing = new Sizing((long) (o.zipfObjects() * (long) o.zipfObjectSize() * o.zipfCapacity()), o.zipfObjectSize(), false);
        var deadline = ctx.deadline(Duration.ofMinutes(6));
        List<List<String>> rows = new ArrayList<>();
        long[] originByConfig = new long[2];
        long shieldHeld = -1;
        try (BenchOrigin origin = BenchOrigin.start(0)) {
            for (int withShield = 0; withShield <= 1 && !deadline.passed(); withShield++) {
                String config = withShield == 1 ? EDGES + " edges + 1 shield" : EDGES + " edges, no shield";
                ctx.progress("offload: " + config);
                List<CacheSystem> nodes = new ArrayList<>();
                try {
                    List<String> edgeFlags = new ArrayList<>();
                    if (withShield == 1) {
                        CacheSystem shield = ctx.systems().startOutpost(origin.url(), sizing,
                                List.of("--role", "shield", "--node-id", "shield-1"));
                        nodes.add(shield);
                        edgeFlags.addAll(List.of("--shield", "http://127.0.0.1:" + shield.port()));
                    }
                    List<CacheSystem> edges = new ArrayList<>();
                    for (int e = 0; e < EDGES; e++) {
                        List<String> flags = new ArrayList<>(edgeFlags);
                        flags.addAll(List.of("--node-id", "edge-" + (e + 1)));
                        CacheSystem edge = ctx.systems().startOutpost(origin.url(), sizing, flags);
                        nodes.add(edge);
                        edges.add(edge);
                    }
                    long before = origin.requests(prefix);
                    long sent = 0;
                    long failures = 0;
                    // each edge gets every EDGES-th request of the trace, replayed concurrently
                    List<int[]> parts = new ArrayList<>();
                    for (int e = 0; e < EDGES; e++) {
                        int n = (trace.length - e + EDGES - 1) / EDGES;
                        int[] part = new int[n];
                        for (int i = 0; i < n; i++) {
                            part[i] = trace[e + i * EDGES];
                        }
                        parts.add(part);
                    }
                    List<Thread> threads = new ArrayList<>();
                    TraceReplay.Result[] results = new TraceReplay.Result[EDGES];
                    for (int e = 0; e < EDGES; e++) {
                        int idx = e;
                        threads.add(Thread.ofVirtual().start(() -> {
                            try {
                                results[idx] = TraceReplay.run(edges.get(idx).port(), parts.get(idx), id -> prefix + id,
                                        HitRatioScenario.CONNECTIONS / 2, deadline.nanos());
                            } catch (InterruptedException ie) {
                                Thread.currentThread().interrupt();
                            }
                        }));
                    }
                    for (Thread t : threads) {
                        t.join();
                    }
                    for (TraceReplay.Result r : results) {
                        if (r != null) {
                            sent += r.requests();
                            failures += r.failures();
                        }
                    }
                    Thread.sleep(200);
                    long originRequests = origin.requests(prefix) - before;
                    originByConfig[withShield] = originRequests;
                    if (sent < trace.length) {
                        notes.add(config + ": time bound hit after " + sent + " of " + trace.length + " requests");
                    }
                    if (failures > 0) {
                        notes.add(config + ": " + failures + " failed requests");
                    }
                    rows.add(List.of(config, String.format(Locale.ROOT, "%,d", sent), String.format(Locale.ROOT, "%,d", originRequests),
                            originRequests == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", sent / (double) originRequests),
                            String.format(Locale.ROOT, "%.4f", sent == 0 ? 0 : 1 - originRequests / (double) sent)));
                    if (withShield == 0) {
                        notes.add(nodes.getFirst().settings());
                    } else {
                        var held = nodes.getFirst().objectsHeld();
                        shieldHeld = held.values().stream().mapToLong(Long::longValue).sum();
                        notes.add("Objects held by the shield at the end: " + held);
                    }
                } catch (Systems.StartException e) {
                    notes.add(config + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } finally {
                    nodes.forEach(CacheSystem::close);
                }
            }
        }
        if (rows.size() == 2 && shieldHeld == 0) {
            notes.add("The shield stored nothing: the edges did not send their misses to it (shield routing looks inactive "
                    + "in this edge-node build).");
        } else if (rows.size() == 2 && originByConfig[0] > 0) {
            notes.add(String.format(Locale.ROOT, "The shield stored %d objects and changed origin requests by %+.1f%%: sized like an "
                    + "edge, it sees only the edges' misses, the tail of the distribution, whose reuse is beyond its capacity.",
                    shieldHeld, 100.0 * (originByConfig[1] - originByConfig[0]) / originByConfig[0]));
        }
        Table t = new Table("Origin offload, edge-node.jar processes", List.of("Configuration", "Client requests", "Origin requests",
                "Offload", "Fleet hit ratio"), rows);
        List<Table> tables = new ArrayList<>(List.of(t));
        // the shield feature's own benchmark (in-process edges), when present
        List<String> inProcess = ContributedScenario.benchClasses("dev.outpost.loadtest.offload");
        if (!inProcess.isEmpty()) {
            ContributedScenario.runBenches(ctx, id(), inProcess, o.isQuick()
                    ? List.of("--requests-per-edge", "5000") : List.of(), tables, notes);
        }
        return new Section(id(), title(), description(o), List.of(), tables, notes, List.of(), List.of());
    }
}

package dev.outpost.loadtest;

import dev.outpost.loadtest.origin.BenchOrigin;
import dev.outpost.loadtest.proc.Proc;
import dev.outpost.loadtest.report.Charts;
import dev.outpost.loadtest.report.MachineInfo;
import dev.outpost.loadtest.report.Report;
import dev.outpost.loadtest.report.ReportWriter;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.scenario.BenchContext;
import dev.outpost.loadtest.scenario.BenchOptions;
import dev.outpost.loadtest.scenario.CompressionScenario;
import dev.outpost.loadtest.scenario.ContributedScenario;
import dev.outpost.loadtest.scenario.HerdScenario;
import dev.outpost.loadtest.scenario.HitRatioScenario;
import dev.outpost.loadtest.scenario.HotHitsScenario;
import dev.outpost.loadtest.scenario.LargeObjectScenario;
import dev.outpost.loadtest.scenario.OffloadScenario;
import dev.outpost.loadtest.scenario.RevalidationScenario;
import dev.outpost.loadtest.scenario.Scenario;
import dev.outpost.loadtest.scenario.WebSocketScenario;
import dev.outpost.loadtest.system.BenchEnv;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.CpuList;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the benchmark suite ({@code load-tests/run} starts it): measures Outpost beside
 * nginx, Varnish and Apache Traffic Server, scenario by scenario, and writes the markdown report
 * and its charts under {@code load-tests/results/}.
 */
@Command(name = "load-tests/run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmarks Outpost side by side with nginx (proxy_cache), Varnish and Apache Traffic Server (ats) "
                + "on this machine and writes a markdown report with charts under load-tests/results/.",
                "Scenarios, in report order: hot, large, herd, zipf, revalidation, websocket, compress, offload, purge, dns."})
public final class BenchMain implements Callable<Integer> {

    static final List<String> SCENARIOS = List.of("hot", "large", "herd", "zipf", "revalidation", "websocket", "compress", "offload", "purge", "dns");
    /** Left out of a --quick run unless named with --only: together they take longer than the rest of it. */
    static final Set<String> NOT_IN_QUICK = Set.of("offload", "dns");

    @Option(names = "--quick", description = "About three minutes: one round, shorter loads, a 256 MiB large object, "
            + "and no offload or dns scenario unless named with --only. Figures are not comparable with a full run's.")
    boolean quick;

    @Option(names = "--only", split = ",", paramLabel = "SCENARIO", description = "Run only these scenarios (comma-separated): "
            + "hot, large, herd, zipf, revalidation, websocket, compress, offload, purge, dns. The report keeps every section; the others say 'not selected'.")
    List<String> only = new ArrayList<>();

    @Option(names = "--systems", split = ",", paramLabel = "SYSTEM", description = "Systems to measure (default: outpost,nginx,varnish,ats; ats is Apache Traffic Server).")
    List<String> systems = new ArrayList<>(List.of("outpost", "nginx", "varnish", "ats"));

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds per scenario (default 3, quick 1).")
    Integer rounds;

    @Option(names = "--repo", paramLabel = "DIR", description = "Repository root (default: the working directory).")
    Path repo = Path.of("").toAbsolutePath();

    @Option(names = "--java-home", paramLabel = "DIR", description = "JDK 25 that runs the edge node (default: bin/jdk25-home, else this JVM).")
    Path javaHome;

    @Option(names = "--work", paramLabel = "DIR", description = "Scratch directory for configs, caches and logs (default: load-tests/work).")
    Path work;

    @Option(names = "--results", paramLabel = "DIR", description = "Where the report goes (default: load-tests/results).")
    Path results;

    @Option(names = "--server-cpus", paramLabel = "LIST", description = "CPUs for the systems under test, as taskset -c takes them "
            + "(default 0 when the machine has two or more CPUs; 'none' disables pinning).")
    String serverCpus;

    @Option(names = "--client-cpus", paramLabel = "LIST", description = "CPUs for the load generators (default 1; 'none' disables pinning).")
    String clientCpus;

    @Option(names = "--cores", split = ",", paramLabel = "N", description = "Core counts for the systems in the hot-hit scenario "
            + "(default 1): with 1,2 every hot case runs at one core (systems on CPU 0, load generator on CPU 1) and again at two "
            + "(systems on CPUs 0-1: nginx 2 workers, Varnish 2 thread pools, ATS 2 exec threads, Outpost one I/O thread per CPU; "
            + "the load generator not pinned, sharing those CPUs), and the report gives each system's scaling factor.")
    List<Integer> cores = new ArrayList<>(List.of(1));

    @Option(names = "--note", paramLabel = "TEXT", description = "A line for the report's run notes (repeatable; the run script uses it).")
    List<String> notes = new ArrayList<>();

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "bench-logback.xml");
        }
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("load-tests/run: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            System.err.println("load-tests/run: " + ex.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        Instant startedAt = Instant.now();
        for (String s : only) {
            if (!SCENARIOS.contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario '" + s + "': choose from " + SCENARIOS);
            }
        }
        Set<SystemKind> wanted = new LinkedHashSet<>();
        for (String s : systems) {
            wanted.add(parseSystem(s));
        }
        BenchOptions opts = quick ? BenchOptions.quick() : BenchOptions.full();
        if (rounds != null) {
            if (rounds < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must be at least 1");
            }
            opts = new BenchOptions(opts.mode(), rounds, opts.hotDuration(), opts.hotWarmup(), opts.largeObjectBytes(),
                    opts.herdClients(), opts.herdDelayMillis(), opts.zipfObjects(), opts.zipfRequests(), opts.zipfExponent(),
                    opts.zipfSeed(), opts.zipfObjectSize(), opts.zipfCapacity(), opts.curve(), opts.curveRounds(),
                    opts.revalidationObjects(), opts.revalidationObjectSize(), opts.scale());
        }
        Path root = repo.toAbsolutePath().normalize();
        Path jdk = javaHome != null ? javaHome : findJdk(root);
        Path workDir = work != null ? work : root.resolve("load-tests/work");
        Path resultsDir = results != null ? results : root.resolve("load-tests/results");
        int cpus = onlineCpus();
        Optional<String> server = cpuList(serverCpus, cpus >= 2 ? "0" : null);
        Optional<String> client = cpuList(clientCpus, cpus >= 2 ? "1" : null);
        List<String> runNotes = new ArrayList<>(notes);
        String loadAtStart = loadAverage();
        if (server.isEmpty() || client.isEmpty() || !Proc.exists("taskset")) {
            runNotes.add("Servers and load generators are not pinned to separate CPUs (" + cpus + " CPU(s), taskset "
                    + (Proc.exists("taskset") ? "present" : "missing") + "): figures include their contention.");
        }
        BenchEnv env = new BenchEnv(root, jdk, workDir, server, client);
        Systems sys = new Systems(env);

        List<SystemKind> measured = new ArrayList<>();
        Map<SystemKind, String> skipped = new EnumMap<>(SystemKind.class);
        for (SystemKind k : SystemKind.values()) {
            if (!wanted.contains(k)) {
                skipped.put(k, "not selected (--systems)");
                continue;
            }
            Optional<String> why = sys.unavailable(k);
            if (why.isEmpty() && k == SystemKind.OUTPOST) {
                why = probe(sys, k);
            }
            if (why.isPresent()) {
                skipped.put(k, why.get());
                log(k.display() + " not measured: " + why.get());
            } else {
                measured.add(k);
            }
        }
        skipped.forEach((k, why) -> runNotes.add(k.display() + " not measured in this run: " + why));

        List<String[]> machine = new ArrayList<>(MachineInfo.describe(jdk));
        for (SystemKind k : SystemKind.values()) {
            machine.add(new String[] {k.display(), sys.unavailable(k).isPresent() ? "not available" : sys.version(k)});
        }
        machine.add(new String[] {"wrk", Proc.exists("wrk") ? MachineInfo.firstLine(List.of("wrk", "-v")) : "not installed"});
        machine.add(new String[] {"h2load", Proc.exists("h2load") ? MachineInfo.firstLine(List.of("h2load", "--version")) : "not installed"});
        machine.add(new String[] {"CPU pinning", "servers: " + server.orElse("not pinned") + ", load generators and origin: "
                + client.orElse("not pinned")});

        List<BenchContext.CoreSetup> setups = coreSetups(cores, cpus, env, sys);
        for (BenchContext.CoreSetup c : setups) {
            if (c.cores() != 1) {
                machine.add(new String[] {"CPU pinning at " + c.cores() + " cores (hot hits)", c.placement()});
            }
        }
        BenchContext ctx = new BenchContext(sys, measured, skipped, opts, BenchMain::log, setups);
        List<Scenario> all = List.of(new HotHitsScenario(), new LargeObjectScenario(), new HerdScenario(), new HitRatioScenario(),
                new RevalidationScenario(), new WebSocketScenario(), new CompressionScenario(), new OffloadScenario(), ContributedScenario.purge(), ContributedScenario.dns());
        List<Section> sections = new ArrayList<>();
        for (Scenario s : all) {
            if (!only.isEmpty() && !only.contains(s.id())) {
                sections.add(Section.skipped(s.id(), s.title(), "See load-tests/README.md.", "not selected (--only)"));
                continue;
            }
            if (quick && only.isEmpty() && NOT_IN_QUICK.contains(s.id())) {
                sections.add(Section.skipped(s.id(), s.title(), "See load-tests/README.md.",
                        "not run in --quick (name it with --only to run it)"));
                continue;
            }
            long t0 = System.nanoTime();
            log("scenario " + s.id() + " ...");
            Section section;
            try {
                section = s.run(ctx);
            } catch (RuntimeException e) {
                section = Section.skipped(s.id(), s.title(), "See load-tests/README.md.", "failed: " + e);
            }
            log(String.format(Locale.ROOT, "scenario %s done in %ds", s.id(), (System.nanoTime() - t0) / 1_000_000_000L));
            sections.add(section);
        }
        Systems.deleteTree(workDir.resolve("systems"));

        runNotes.add("Load average (1, 5, 15 min) at the start: " + loadAtStart + "; at the end: " + loadAverage()
                + ". Other work on the machine slows every system; ratios come from the same run, alternated, and hold up "
                + "better than absolute figures.");
        long secs = (System.nanoTime() - started) / 1_000_000_000L;
        String stamp = DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm").withZone(ZoneOffset.UTC).format(startedAt);
        String stem = stamp + "-" + opts.mode();
        String mode = opts.mode() + " (" + opts.rounds() + " round" + (opts.rounds() == 1 ? "" : "s") + ", median"
                + (opts.isQuick() ? "; a smoke run, not comparable with full runs" : "") + ")"
                + (only.isEmpty() ? "" : "; only " + String.join(",", only))
                + (cores.equals(List.of(1)) ? "" : "; hot hits at " + new java.util.TreeSet<>(cores).stream().map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(" and ")) + " cores");
        Report report = new Report(DateTimeFormatter.ISO_INSTANT.format(startedAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                mode, secs / 60 + "m " + secs % 60 + "s", machine, runNotes, sections);
        Files.createDirectories(resultsDir);
        List<String> chartProblems = Charts.writeAll(report, resultsDir.resolve(stem));
        if (!chartProblems.isEmpty()) {
            List<String> n = new ArrayList<>(report.runNotes());
            n.addAll(chartProblems);
            report = new Report(report.startedUtc(), report.mode(), report.durationText(), report.machine(), n, report.sections());
        }
        Path out = resultsDir.resolve(stem + ".md");
        Files.writeString(out, ReportWriter.write(report, stem));
        log("report: " + out);
        System.out.println(out);
        return 0;
    }

    /** Starts Outpost once against a throwaway origin: a jar that only prints usage is reported, not measured. */
    private static Optional<String> probe(Systems sys, SystemKind k) {
        try (BenchOrigin origin = BenchOrigin.start(0); CacheSystem s = sys.start(k, origin.url(), Sizing.roomy())) {
            return Optional.empty();
        } catch (Systems.StartException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * The placements of {@code --cores}: one core as the run is set up ({@code env}, so
     * {@code --server-cpus} and {@code --client-cpus} still apply), more on CPUs 0 to N-1 with
     * the load generator on what is left, or on every CPU when nothing is left.
     */
    static List<BenchContext.CoreSetup> coreSetups(List<Integer> cores, int cpus, BenchEnv env, Systems sys) {
        List<BenchContext.CoreSetup> out = new ArrayList<>();
        for (int n : new java.util.TreeSet<>(cores)) {
            if (n < 1 || n > cpus) {
                throw new CommandLine.ParameterException(new CommandLine(new BenchMain()),
                        "--cores " + n + ": this machine has " + cpus + " CPU(s)");
            }
            if (n == 1) {
                out.add(new BenchContext.CoreSetup(1, sys, "systems on CPU " + env.serverCpus().orElse("(not pinned)")
                        + ", the load generator and the origin on CPU " + env.clientCpus().orElse("(not pinned)")
                        + (env.serverCpus().isPresent() && env.clientCpus().isPresent() ? " (a core of their own)" : "")));
                continue;
            }
            CpuList.Placement p = CpuList.place(n, cpus);
            BenchEnv e = new BenchEnv(env.repoRoot(), env.javaHome(), env.workDir(), Optional.of(p.serverCpus()), Optional.of(p.clientCpus()));
            out.add(new BenchContext.CoreSetup(n, new Systems(e), p.describe()));
        }
        return out;
    }

    static SystemKind parseSystem(String s) {
        for (SystemKind k : SystemKind.values()) {
            if (k.id().equalsIgnoreCase(s.strip())) {
                return k;
            }
        }
        throw new CommandLine.ParameterException(new CommandLine(new BenchMain()), "unknown system '" + s + "': choose from outpost, nginx, varnish, ats");
    }

    static Optional<String> cpuList(String given, String fallback) {
        if (given == null) {
            return Optional.ofNullable(fallback);
        }
        return given.equalsIgnoreCase("none") || given.isBlank() ? Optional.empty() : Optional.of(given);
    }

    static int onlineCpus() {
        try {
            String s = Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
            int n = 0;
            for (String part : s.split(",")) {
                String[] r = part.split("-");
                n += r.length == 2 ? Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1 : 1;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Path findJdk(Path root) {
        Proc.Result r = Proc.run(Optional.empty(), Duration.ofSeconds(30), List.of(root.resolve("bin/jdk25-home").toString()));
        if (r.ok() && !r.stdout().isBlank()) {
            return Path.of(r.stdout().strip());
        }
        return Path.of(System.getProperty("java.home"));
    }

    private static void log(String s) {
        System.err.println("[bench " + DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC).format(Instant.now()) + "] " + s);
    }
}

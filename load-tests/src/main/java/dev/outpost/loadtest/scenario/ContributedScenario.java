package dev.outpost.loadtest.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.loadtest.proc.Proc;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.report.Table;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;

/**
 * Issue 7, scenario 6: benchmarks other parts of Outpost add to this module, each a main class
 * named {@code *Bench} in its own package ({@code dev.outpost.loadtest.purge} for purge
 * propagation, {@code dev.outpost.loadtest.dns} for DNS queries/s). Each runs in its own JVM
 * (JDK 25, the suite's class path, on the client core), bounded in time, and prints one JSON
 * object as its last line; its fields go into the report as they are.
 */
public final class ContributedScenario implements Scenario {

    private final String id;
    private final String title;
    private final String pkg;
    private final String what;
    /** A script other engineers keep beside the suite (relative to the repository), run when present. */
    private final Optional<String> script;
    private final List<String> fullArgs;
    private final List<String> quickArgs;

    private ContributedScenario(String id, String title, String pkg, String what, Optional<String> script,
                                List<String> fullArgs, List<String> quickArgs) {
        this.id = id;
        this.title = title;
        this.pkg = pkg;
        this.what = what;
        this.script = script;
        this.fullArgs = fullArgs;
        this.quickArgs = quickArgs;
    }

    public static ContributedScenario purge() {
        return new ContributedScenario("purge", "Purge propagation", "dev.outpost.loadtest.purge",
                "Purge propagation from the control plane to 50 nodes, p50 and p99 (issue 7, scenario 6), measured by "
                        + "`dev.outpost.loadtest.purge.PurgePropagationBench` (a real control plane in process, 50 simulated nodes "
                        + "speaking the node protocol over loopback), on the embedded store and, in the same run, through 3 "
                        + "control-plane replicas on a 3-member etcd (the nodes spread over the replicas, purges sent to each in "
                        + "turn): send to ack by every node on both (`embedded.ack_*`, `etcd.ack_*`) and their ratio (`ratio.*`).",
                Optional.empty(),
                List.of("--nodes", "50", "--purges", "500", "--warmup", "50"), List.of("--nodes", "50", "--purges", "100", "--warmup", "20"));
    }

    public static ContributedScenario dns() {
        return new ContributedScenario("dns", "DNS queries/s", "dev.outpost.loadtest.dns",
                "GeoDNS queries/s with dnsperf, Outpost's GeoDNS beside gdnsd with the same database and edges "
                        + "(issue 7, scenario 6), measured by `load-tests/dns/run` (and any `*Bench` in `dev.outpost.loadtest.dns`).",
                Optional.of("load-tests/dns/run"), List.of(), List.of());
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String title() {
        return title;
    }

    @Override
    public Section run(BenchContext ctx) {
        List<String> classes = benchClasses(pkg);
        Optional<Path> scriptPath = script.map(s -> ctx.env().repoRoot().resolve(s)).filter(Files::isExecutable);
        if (classes.isEmpty() && scriptPath.isEmpty()) {
            return Section.skipped(id, title, what, "no benchmark in " + pkg + " yet (it lands with its feature)");
        }
        List<Table> tables = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        scriptPath.ifPresent(p -> runScript(ctx, p, tables, notes));
        runBenches(ctx, id, classes, ctx.options().isQuick() ? quickArgs : fullArgs, tables, notes);
        notes.add("Figures as printed by the benchmark itself; ratios against peers appear where it measures them.");
        return new Section(id, title, what, List.of(), tables, notes, List.of(), List.of());
    }

    /** Runs each {@code *Bench} main class in its own JVM and turns the JSON it prints into a table. */
    static void runBenches(BenchContext ctx, String id, List<String> classes, List<String> args, List<Table> tables, List<String> notes) {
        String cp = classPath();
        for (String cls : classes) {
            ctx.progress(id + ": " + cls);
            List<String> cmd = new ArrayList<>(List.of(ctx.env().java().toString(), "--enable-native-access=ALL-UNNAMED",
                    "-Doutpost.repo.root=" + ctx.env().repoRoot(), "-Doutpost.bench.mode=" + ctx.options().mode(),
                    "-Dlogback.configurationFile=bench-logback.xml", "-cp", cp, cls));
            cmd.addAll(args);
            Duration bound = ctx.options().budget(Duration.ofMinutes(4));
            Proc.Result r = Proc.run(ctx.env().clientCpus(), bound, cmd);
            if (r.timedOut()) {
                notes.add(cls + " did not finish within " + bound.toSeconds() + "s");
                continue;
            }
            Optional<JsonNode> json = lastJsonObject(r.stdout());
            if (r.exitCode() != 0 || json.isEmpty()) {
                notes.add(cls + " failed (exit " + r.exitCode() + "): " + r.lastLine());
                continue;
            }
            tables.add(new Table(cls.substring(cls.lastIndexOf('.') + 1) + (args.isEmpty() ? "" : " " + String.join(" ", args)),
                    List.of("Figure", "Value"), flatten(json.get())));
        }
    }

    /**
     * Runs a script that prints a markdown report whose table has Outpost's figure in the second
     * column and a peer's in the third (as {@code load-tests/dns/run} does), and adds the ratio.
     */
    private void runScript(BenchContext ctx, Path script, List<Table> tables, List<String> notes) {
        boolean quick = ctx.options().isQuick();
        ctx.progress(id + ": " + ctx.env().repoRoot().relativize(script));
        Duration bound = ctx.options().budget(Duration.ofMinutes(6));
        // the suite itself runs pinned to the client CPU: give the script every CPU back, it pins its own processes
        Proc.Result r = Proc.run(allCpus(), bound, List.of(script.toString(), "--duration", quick ? "3" : "10"));
        if (r.timedOut()) {
            notes.add(script.getFileName() + " did not finish within " + bound.toSeconds() + "s");
            return;
        }
        Optional<Table> t = markdownTable(r.stdout());
        if (r.exitCode() != 0 || t.isEmpty()) {
            notes.add(ctx.env().repoRoot().relativize(script) + " gave no table (exit " + r.exitCode() + "): " + r.lastLine());
            return;
        }
        tables.add(t.get());
        r.stdout().lines().filter(l -> l.startsWith("# ")).findFirst().ifPresent(h -> notes.add("From the script: " + h.substring(2)));
    }

    static Optional<String> allCpus() {
        try {
            return Optional.of(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The first markdown table in {@code text}, with a ratio column (second ÷ third) when there are three columns of figures. */
    static Optional<Table> markdownTable(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = null;
        for (String line : text.lines().map(String::strip).toList()) {
            if (!line.startsWith("|")) {
                if (header != null) {
                    break;
                }
                continue;
            }
            List<String> cells = new ArrayList<>();
            for (String c : line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length()).split("\\|")) {
                cells.add(c.strip());
            }
            if (cells.stream().allMatch(c -> c.matches(":?-+:?"))) {
                continue;
            }
            if (header == null) {
                header = cells;
            } else {
                rows.add(cells);
            }
        }
        if (header == null || rows.isEmpty()) {
            return Optional.empty();
        }
        if (header.size() == 3) {
            List<String> h = new ArrayList<>(header);
            h.add(header.get(1).replace(" q/s", "") + " ÷ " + header.get(2).replace(" q/s", ""));
            List<List<String>> withRatio = new ArrayList<>();
            for (List<String> row : rows) {
                List<String> r = new ArrayList<>(row);
                try {
                    double a = Double.parseDouble(row.get(1).replace(",", ""));
                    double b = Double.parseDouble(row.get(2).replace(",", ""));
                    r.add(b == 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f×", a / b));
                } catch (RuntimeException e) {
                    r.add("n/a");
                }
                withRatio.add(r);
            }
            return Optional.of(new Table("Queries/s", h, withRatio));
        }
        return Optional.of(new Table("Figures", header, rows));
    }

    /** The last line of output that is a JSON object. */
    static Optional<JsonNode> lastJsonObject(String out) {
        List<String> lines = out.lines().toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).strip().startsWith("{")) {
                continue;
            }
            // a one-line object, or a pretty-printed one that runs from here to its closing brace
            for (String candidate : List.of(lines.get(i), String.join("\n", lines.subList(i, lines.size())))) {
                try {
                    var parser = OutpostJson.json().createParser(candidate);
                    JsonNode n = OutpostJson.json().readTree(parser);
                    if (n != null && n.isObject()) {
                        return Optional.of(n);
                    }
                } catch (IOException e) {
                    // not JSON: keep looking
                }
            }
        }
        return Optional.empty();
    }

    /** Nested objects become dotted keys, in the benchmark's order. */
    static List<List<String>> flatten(JsonNode n) {
        List<List<String>> rows = new ArrayList<>();
        flatten("", n, rows);
        return rows;
    }

    private static void flatten(String prefix, JsonNode n, List<List<String>> rows) {
        if (n.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), rows);
            }
        } else {
            rows.add(List.of(prefix, n.isTextual() ? n.asText() : n.toString()));
        }
    }

    /** Main classes named {@code *Bench} directly in {@code pkg}, found in this suite's jar or classes directory. */
    static List<String> benchClasses(String pkg) {
        String dir = pkg.replace('.', '/') + "/";
        List<String> out = new ArrayList<>();
        try {
            Path here = Path.of(ContributedScenario.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(here)) {
                Path p = here.resolve(dir);
                if (Files.isDirectory(p)) {
                    try (var files = Files.list(p)) {
                        files.map(f -> f.getFileName().toString()).filter(ContributedScenario::isBench)
                                .forEach(f -> out.add(pkg + "." + f.substring(0, f.length() - 6)));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(here.toFile())) {
                    jar.stream().map(e -> e.getName()).filter(n -> n.startsWith(dir) && n.indexOf('/', dir.length()) < 0)
                            .map(n -> n.substring(dir.length())).filter(ContributedScenario::isBench)
                            .forEach(f -> out.add(pkg + "." + f.substring(0, f.length() - 6)));
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return out;
        }
        out.sort(null);
        return out;
    }

    static boolean isBench(String fileName) {
        return fileName.endsWith("Bench.class") && !fileName.contains("$");
    }

    private static String classPath() {
        return System.getProperty("java.class.path");
    }
}

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

    private ContributedScenario(String id, String title, String pkg, String what) {
        this.id = id;
        this.title = title;
        this.pkg = pkg;
        this.what = what;
    }

    public static ContributedScenario purge() {
        return new ContributedScenario("purge", "Purge propagation", "dev.outpost.loadtest.purge",
                "Purge propagation from the control plane to 50 nodes, p50 and p99 (issue 7, scenario 6), measured by "
                        + "`dev.outpost.loadtest.purge.PurgePropagationBench`.");
    }

    public static ContributedScenario dns() {
        return new ContributedScenario("dns", "DNS queries/s", "dev.outpost.loadtest.dns",
                "GeoDNS queries/s (dnsperf) beside gdnsd (issue 7, scenario 6), measured by the benchmark(s) in "
                        + "`dev.outpost.loadtest.dns`.");
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
        if (classes.isEmpty()) {
            return Section.skipped(id, title, what, "no benchmark in " + pkg + " yet (it lands with its feature)");
        }
        List<Table> tables = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String cp = classPath();
        for (String cls : classes) {
            ctx.progress(id + ": " + cls);
            List<String> cmd = new ArrayList<>(List.of(ctx.env().java().toString(), "--enable-native-access=ALL-UNNAMED",
                    "-Doutpost.repo.root=" + ctx.env().repoRoot(), "-Doutpost.bench.mode=" + ctx.options().mode(),
                    "-cp", cp, cls));
            if (ctx.options().mode().equals("quick")) {
                cmd.add("--quick");
            }
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
            tables.add(new Table(cls.substring(cls.lastIndexOf('.') + 1), List.of("Figure", "Value"), flatten(json.get())));
        }
        notes.add("Figures as printed by the benchmark itself; ratios against peers appear where it measures them.");
        return new Section(id, title, what, List.of(), tables, notes, List.of(), List.of());
    }

    /** The last line of output that is a JSON object. */
    static Optional<JsonNode> lastJsonObject(String out) {
        List<String> lines = out.lines().map(String::strip).filter(l -> l.startsWith("{")).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            try {
                JsonNode n = OutpostJson.json().readTree(lines.get(i));
                if (n != null && n.isObject()) {
                    return Optional.of(n);
                }
            } catch (IOException e) {
                // not JSON: keep looking
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

package dev.outpost.loadtest.system;

import dev.outpost.config.DataSize;
import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Outpost edge node, started from {@code edge-node/target/edge-node.jar} with the flags of
 * the design's contract only ({@code --origin --listen --admin --data-dir --access-log
 * --cache.memory-size --cache.memory-max-object --cache.disk-size}); readiness is {@code GET /healthz} on the admin port,
 * objects held come from {@code outpost_cache_entries{tier}} on {@code /metrics}. The JVM writes
 * a GC log ({@code gc.log}) so the large-object scenario can read the heap.
 */
final class OutpostSystem extends ProcessSystem {

    private static final Pattern ENTRIES = Pattern.compile("(?m)^outpost_cache_entries\\{[^}]*tier=\"(\\w+)\"[^}]*}\\s+([0-9.eE+]+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int port;
    private final int adminPort;
    private final String settings;

    private OutpostSystem(Process p, Path dir, Path log, int port, int adminPort, String settings) {
        super(p, dir, log);
        this.port = port;
        this.adminPort = adminPort;
        this.settings = settings;
    }

    /** The node's default largest object for memory; a smaller memory tier needs a smaller one (the node refuses otherwise). */
    static final long MEMORY_MAX_OBJECT = 4L << 20;

    static Optional<String> unavailable(BenchEnv env) {
        if (!Files.isRegularFile(env.edgeJar())) {
            return Optional.of("edge-node/target/edge-node.jar is missing (the build failed or was skipped)");
        }
        if (!Files.isExecutable(env.java())) {
            return Optional.of("no JDK 25 java at " + env.java());
        }
        return Optional.empty();
    }

    static String version(BenchEnv env) {
        String v = "unknown";
        try (JarFile jar = new JarFile(env.edgeJar().toFile())) {
            var mf = jar.getManifest();
            if (mf != null && mf.getMainAttributes().getValue("Implementation-Version") != null) {
                v = mf.getMainAttributes().getValue("Implementation-Version");
            }
        } catch (IOException e) {
            return "edge-node.jar unreadable";
        }
        Proc.Result git = Proc.run(Optional.empty(), Duration.ofSeconds(10),
                List.of("git", "-C", env.repoRoot().toString(), "log", "-1", "--format=%h %cs"));
        return "outpost edge-node " + v + (git.ok() ? " (commit " + git.stdout().strip() + ")" : "");
    }

    /**
     * What Outpost's disk tier counts per entry beyond the body: the key, the stored header
     * fields and 64 bytes of fixed fields. Measured: 10 bench-origin objects of 4 KiB made
     * {@code outpost_cache_bytes{tier="disk"}} 43,822, 4,382 bytes each.
     */
    static final long OBJECT_OVERHEAD = 288;

    /**
     * Memory and disk tier sizes for a sizing. The disk tier bounds how many distinct objects
     * Outpost keeps, as nginx's keys zone does for nginx: it gets room for the budget's objects,
     * counted the way it counts them (body plus {@link #OBJECT_OVERHEAD}, as Varnish's storage
     * gets its own per-object overhead). The memory tier (a quarter of that) only ever holds
     * copies of objects the disk tier admitted, so it adds speed, not capacity, as the page cache
     * does for nginx.
     */
    static long[] tiers(Sizing sizing) {
        if (sizing.largeObjects() || sizing.capacityBytes() >= (1L << 30)) {
            return new long[] {64L << 20, sizing.capacityBytes()};
        }
        long disk = sizing.objects() * (sizing.objectSize() + OBJECT_OVERHEAD);
        return new long[] {disk / 4, disk};
    }

    static List<String> command(BenchEnv env, Path dir, String originUrl, int port, int adminPort, long memory, long disk) {
        List<String> cmd = new ArrayList<>(List.of(env.java().toString(), "--enable-native-access=ALL-UNNAMED"));
        String extra = System.getenv("OUTPOST_BENCH_JAVA_OPTS"); // e.g. a JFR recording, for profiling a scenario
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of(
                "-Xlog:gc:file=" + dir.resolve("gc.log").toAbsolutePath() + ":uptime",
                "-jar", env.edgeJar().toString(),
                "--origin", originUrl,
                "--listen", "127.0.0.1:" + port,
                "--admin", "127.0.0.1:" + adminPort,
                "--data-dir", dir.resolve("cache").toAbsolutePath().toString(),
                "--access-log", "off",
                // one load generator address pulls far more than a client would: no per-client origin budget
                "--limits.origin-bytes-per-client", "0",
                "--cache.memory-size", DataSize.ofBytes(memory).toString(),
                "--cache.memory-max-object", DataSize.ofBytes(Math.min(MEMORY_MAX_OBJECT, memory)).toString(),
                "--cache.disk-size", DataSize.ofBytes(disk).toString()));
        return cmd;
    }

    static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing) throws Systems.StartException {
        return start(env, dir, originUrl, sizing, List.of());
    }

    static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing, List<String> extraFlags)
            throws Systems.StartException {
        Optional<String> why = unavailable(env);
        if (why.isPresent()) {
            throw new Systems.StartException("Outpost: " + why.get());
        }
        int port = Systems.freePort();
        int adminPort = Systems.freePort();
        long[] t = tiers(sizing);
        Path log = dir.resolve("edge-node.out");
        List<String> cmd = new ArrayList<>(command(env, dir, originUrl, port, adminPort, t[0], t[1]));
        cmd.addAll(extraFlags);
        Process p = Proc.start(env.serverCpus(), cmd, log);
        awaitHttp(p, log, "Outpost", adminPort, "/healthz", Duration.ofSeconds(60));
        awaitHttp(p, log, "Outpost", port, "/__ready", Duration.ofSeconds(10));
        int cores = CpuList.serverCores(env.serverCpus());
        return new OutpostSystem(p, dir, log, port, adminPort,
                "Outpost: --cache.memory-size " + DataSize.ofBytes(t[0]) + " --cache.memory-max-object "
                        + DataSize.ofBytes(Math.min(MEMORY_MAX_OBJECT, t[0])) + " --cache.disk-size " + DataSize.ofBytes(t[1])
                        + " --access-log off" + (extraFlags.isEmpty() ? "" : " " + String.join(" ", extraFlags))
                        + (env.serverCpus().isPresent() ? ", " + cores + " Undertow I/O thread" + (cores == 1 ? "" : "s")
                        + " (the edge's default, one per CPU it may run on; it has no flag for it)" : "")
                        + collector(dir.resolve("gc.log")).map(c -> ", " + c + " collector (the JVM's choice for "
                        + (env.serverCpus().isPresent() ? cores + " CPU" + (cores == 1 ? "" : "s") : "this machine") + ")").orElse(""));
    }

    private static final Pattern COLLECTOR = Pattern.compile("(?m)^(?:\\[[^\\]]*\\]\\s*)*Using (\\S+)");

    /** The collector the JVM picked, from the first lines of its GC log ({@code [0.005s] Using Serial}). */
    static Optional<String> collector(Path gcLog) {
        try {
            return Files.exists(gcLog) ? collectorIn(Files.readString(gcLog)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static Optional<String> collectorIn(String gcLog) {
        Matcher m = COLLECTOR.matcher(gcLog);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    @Override
    public Optional<Path> gcLog() {
        return Optional.of(dir.resolve("gc.log"));
    }

    int adminPort() {
        return adminPort;
    }

    @Override
    public SystemKind kind() {
        return SystemKind.OUTPOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int h2Port() {
        return port;
    }

    @Override
    public Map<String, Long> objectsHeld() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return parseEntries(r.body());
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    static Map<String, Long> parseEntries(String metrics) {
        Map<String, Long> m = new LinkedHashMap<>();
        Matcher x = ENTRIES.matcher(metrics);
        while (x.find()) {
            m.merge(x.group(1), (long) Double.parseDouble(x.group(2)), Long::sum);
        }
        return m;
    }

    @Override
    public String settings() {
        return settings;
    }
}

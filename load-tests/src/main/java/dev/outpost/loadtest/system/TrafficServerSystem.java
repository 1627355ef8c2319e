package dev.outpost.loadtest.system;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Apache Traffic Server (Debian's {@code trafficserver}, 9.2) as a reverse-proxy cache, run as
 * {@code traffic_server} alone in the foreground (no {@code traffic_manager}) with every file
 * in its own work directory: a {@code runroot.yaml} points its configuration, log, runtime and
 * cache directories there, and only the binaries and plugins come from the package.
 *
 * <p>Cache: a RAM cache sized like Outpost's memory tier in front of one span file on tmpfs
 * ({@code /dev/shm}, or the work directory when tmpfs lacks room), created at its full size
 * before the start (the package's traffic_server disables its cache when the file is missing).
 * Threads: when the systems are pinned, as many exec (ET_NET) threads as pinned CPUs, one on
 * this machine, no accept thread, no thread affinity of its own; ATS binds its ET_NET thread to
 * the whole machine even with affinity off, so the suite re-pins every thread of the process
 * to the server CPUs once it answers. Collapsing: read-while-writer with open-read retries every
 * {@value #OPEN_READ_RETRY_MILLIS} ms for up to {@value #OPEN_READ_RETRIES} times, the way ATS's
 * documentation sets up collapsed forwarding (without retries every concurrent miss goes to the
 * origin). HTTP/2: cleartext with prior knowledge on the same port ({@code proto=http;http2}).
 * A {@code Cache-Status: hit|miss} header is added by the header_rewrite plugin from ATS's own
 * cache-lookup result, as nginx and Varnish add theirs, for the Zipf scenario's cross-check.
 *
 * <p>Equal capacity: ATS stores a document as a 72-byte header, its marshalled request and
 * response headers and the body, aligned to 512-byte blocks, in a circular log over the span,
 * beside a directory of 10-byte entries. For a tight budget the span gets room for the budget's
 * objects counted the way ATS fills it ({@link #OBJECT_OVERHEAD}, measured), and the directory
 * two entries per object, so that the span bounds what it holds. ATS is not run with a span
 * under 8.25 MiB (an 8 MiB span crashed traffic_server 9.2.9 at start, in
 * {@code build_vol_hash_table}): a budget that needs less is refused with that reason, rather
 * than measured with a cache larger than the others'.
 */
final class TrafficServerSystem extends ProcessSystem {

    static final long MIB = 1L << 20;
    /**
     * The smallest span the suite gives ATS: traffic_server 9.2.9 crashed at start (a segfault in
     * {@code build_vol_hash_table}) with an 8 MiB span, every time, and started with 8.25 MiB.
     */
    static final long MIN_SPAN = 8 * MIB + 256 * 1024;
    /** ATS's storage block: a span's size is counted in these. */
    static final long STORE_BLOCK = 8192;
    /**
     * Span bytes per stored object beyond its body, all included (the document's header, the
     * bench origin's marshalled request and response headers, alignment, its share of the
     * directory and of the region ahead of the write position). Measured with 4 KiB objects: after
     * more distinct fills than fit, the newest 3,212 were hits in a 27.7 MiB span and the newest
     * 4,618 in a 40 MiB span, 9,030 and 9,083 bytes each: ATS takes more than twice a small body.
     */
    static final long OBJECT_OVERHEAD = 4964;
    /** The RAM cache for throughput scenarios, as Outpost's memory tier gets. */
    static final long ROOMY_RAM = 64 * MIB;
    /** ATS's default {@code min_average_object_size}, which sizes the directory of a roomy span. */
    static final long DEFAULT_AVERAGE_OBJECT = 8000;
    static final int OPEN_READ_RETRIES = 300;
    static final int OPEN_READ_RETRY_MILLIS = 10;
    /** The stats_over_http path, on for tight budgets only (it adds a hook to every request). */
    static final String STATS_PATH = "_outpost_ats_stats";

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern DIRENTRIES = Pattern.compile("\"proxy\\.process\\.cache\\.direntries\\.used\"\\s*:\\s*\"?(\\d+)");

    private final int port;
    private final Path span;
    private final boolean stats;
    private final String settings;

    private TrafficServerSystem(Process p, Path dir, Path log, int port, Path span, boolean stats, String settings) {
        super(p, dir, log);
        this.port = port;
        this.span = span;
        this.stats = stats;
        this.settings = settings;
    }

    /** The cache's shape for one sizing: span bytes, RAM cache bytes, the directory's average object size. */
    record Layout(long spanBytes, long ramBytes, long averageObjectSize, boolean tight) {
    }

    static Layout layout(Sizing sizing) {
        if (sizing.largeObjects() || sizing.capacityBytes() >= (1L << 30)) {
            return new Layout(sizing.capacityBytes(), ROOMY_RAM, DEFAULT_AVERAGE_OBJECT, false);
        }
        long perObject = sizing.objectSize() + OBJECT_OVERHEAD;
        long span = (sizing.objects() * perObject + STORE_BLOCK - 1) / STORE_BLOCK * STORE_BLOCK;
        // like Outpost's memory tier: a quarter of what the disk holds, copies of what it admitted.
        // The directory gets two entries per object's room: with one, uneven buckets filled first
        // and the directory, not the span, bounded what ATS held (measured: 4,208 objects for 5,292 entries)
        return new Layout(span, Math.max(MIB, span / 4), perObject / 2, true);
    }

    /** Why a sizing cannot be run with a cache of the others' size, or empty when it can. */
    static Optional<String> refused(Sizing sizing) {
        Layout l = layout(sizing);
        if (l.spanBytes() >= MIN_SPAN) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "the budget (%,d objects of %,d bytes) needs a span of %.1f MiB, and ATS is not run "
                        + "with a span under %.2f MiB (an 8 MiB span crashed traffic_server 9.2.9 at start): its cache would be larger "
                        + "than the others', so it is left out here", sizing.objects(), sizing.objectSize(), l.spanBytes() / (double) MIB,
                MIN_SPAN / (double) MIB));
    }

    /** Exec threads for a CPU list as taskset takes it ("0", "0-1", "0,2-3"); empty when not pinned. */
    static OptionalInt execThreads(Optional<String> cpus) {
        return cpus.isEmpty() ? OptionalInt.empty() : OptionalInt.of(CpuList.count(cpus.get()));
    }

    static String runroot(Path dir) {
        String d = dir.toAbsolutePath().toString();
        return """
                prefix: /usr
                exec_prefix: /usr
                bindir: /usr/bin
                sbindir: /usr/sbin
                includedir: /usr/include
                libdir: /usr/lib/trafficserver
                libexecdir: /usr/lib/trafficserver/modules
                sysconfdir: %1$s/etc
                datadir: %1$s
                localstatedir: %1$s
                runtimedir: %1$s/run
                logdir: %1$s/log
                cachedir: %1$s/cache
                """.formatted(d);
    }

    /** records.config (the format traffic_server 9.2 reads; records.yaml came with 10). */
    static String records(int port, OptionalInt execThreads, Layout l) {
        StringBuilder r = new StringBuilder();
        // run as the user that starts it (root here): "#-1" keeps the user, so the work directory stays writable
        r.append("CONFIG proxy.config.admin.user_id STRING #-1\n");
        r.append("CONFIG proxy.config.crash_log_helper STRING \"\"\n");
        r.append("CONFIG proxy.config.http.server_ports STRING ").append(port).append(":ipv4:ip-in=127.0.0.1:proto=http;http2\n");
        if (execThreads.isPresent()) {
            r.append("CONFIG proxy.config.exec_thread.autoconfig INT 0\n");
            r.append("CONFIG proxy.config.exec_thread.limit INT ").append(execThreads.getAsInt()).append('\n');
        } else {
            r.append("CONFIG proxy.config.exec_thread.autoconfig INT 1\n");
            r.append("CONFIG proxy.config.exec_thread.autoconfig.scale FLOAT 1.0\n");
        }
        r.append("CONFIG proxy.config.exec_thread.affinity INT 0\n");
        r.append("CONFIG proxy.config.accept_threads INT 0\n");
        r.append("CONFIG proxy.config.task_threads INT 1\n");
        r.append("CONFIG proxy.config.cache.ram_cache.size INT ").append(l.ramBytes()).append('\n');
        r.append("CONFIG proxy.config.cache.min_average_object_size INT ").append(l.averageObjectSize()).append('\n');
        r.append("CONFIG proxy.config.cache.max_doc_size INT 0\n");
        // cache what the origin marks cacheable; the bench origin always sends Cache-Control: public, max-age
        r.append("CONFIG proxy.config.http.cache.http INT 1\n");
        r.append("CONFIG proxy.config.http.cache.required_headers INT 0\n");
        r.append("CONFIG proxy.config.http.cache.when_to_revalidate INT 0\n");
        r.append("CONFIG proxy.config.http.negative_caching_enabled INT 0\n");
        // collapsed forwarding: readers wait for the one writer and read while it writes
        r.append("CONFIG proxy.config.cache.enable_read_while_writer INT 1\n");
        r.append("CONFIG proxy.config.http.background_fill_active_timeout INT 0\n");
        r.append("CONFIG proxy.config.http.background_fill_completed_threshold FLOAT 0.0\n");
        r.append("CONFIG proxy.config.http.cache.max_open_read_retries INT ").append(OPEN_READ_RETRIES).append('\n');
        r.append("CONFIG proxy.config.http.cache.open_read_retry_time INT ").append(OPEN_READ_RETRY_MILLIS).append('\n');
        r.append("CONFIG proxy.config.http.cache.max_open_write_retries INT 1\n");
        r.append("CONFIG proxy.config.http.cache.open_write_fail_action INT 0\n");
        // keep-alive to the load generator and to the origin, no access log (as the others)
        r.append("CONFIG proxy.config.http.keep_alive_enabled_in INT 1\n");
        r.append("CONFIG proxy.config.http.keep_alive_enabled_out INT 1\n");
        r.append("CONFIG proxy.config.http.keep_alive_no_activity_timeout_in INT 120\n");
        r.append("CONFIG proxy.config.http.transaction_no_activity_timeout_out INT 60\n");
        r.append("CONFIG proxy.config.log.logging_enabled INT 0\n");
        r.append("CONFIG proxy.config.diags.debug.enabled INT 0\n");
        r.append("CONFIG proxy.config.url_remap.remap_required INT 1\n");
        r.append("CONFIG proxy.config.reverse_proxy.enabled INT 1\n");
        r.append("CONFIG proxy.config.body_factory.template_sets_dir STRING /etc/trafficserver/body_factory\n");
        return r.toString();
    }

    static String storage(Path span, long bytes) {
        return span.toAbsolutePath() + " " + bytes + "\n";
    }

    static String remap(String originHostPort, Path cacheStatusRules) {
        return "map / http://" + originHostPort + "/ @plugin=header_rewrite.so @pparam=" + cacheStatusRules.toAbsolutePath() + "\n";
    }

    /** header_rewrite rules: Cache-Status from ATS's cache lookup (a fresh hit, from RAM or disk, says hit). */
    static String cacheStatusRules() {
        return """
                cond %{SEND_RESPONSE_HDR_HOOK} [AND]
                cond %{CACHE} =hit-fresh
                set-header Cache-Status hit

                cond %{SEND_RESPONSE_HDR_HOOK} [AND]
                cond %{CACHE} =hit-fresh [NOT]
                set-header Cache-Status miss
                """;
    }

    static String plugins(boolean stats) {
        return stats ? "stats_over_http.so " + STATS_PATH + "\n" : "";
    }

    private static final Pattern SPAN_NAME = Pattern.compile("outpost-ats-(\\d+)-.*\\.span");

    /**
     * Removes span files on tmpfs left by suites that died without closing ATS (a span is up to
     * 5 GiB of memory): those whose suite process is gone.
     */
    static void removeOrphanSpans(Path shm) {
        try (var files = Files.list(shm)) {
            for (Path f : files.toList()) {
                Matcher m = SPAN_NAME.matcher(f.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    deleteQuietly(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }

    /** Where the span file goes: tmpfs when it has room for it (and 1 GiB to spare), else the work directory. */
    static Path spanDir(Path dir, long bytes) {
        Path shm = Path.of("/dev/shm");
        removeOrphanSpans(shm);
        try {
            if (Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).getUsableSpace() > bytes + (1L << 30)) {
                return shm;
            }
        } catch (IOException e) {
            // fall through to the work directory
        }
        return dir.resolve("cache");
    }

    static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing) throws Systems.StartException {
        return start(env, dir, originUrl, sizing, false);
    }

    /**
     * ATS as a WebSocket reverse proxy in front of {@code originUrl}: the same instance with a
     * {@code ws://} remap rule for the port it listens on (ATS tunnels a request carrying
     * {@code Upgrade: websocket} only when a {@code ws://} rule matches it).
     */
    static CacheSystem startWebSocket(BenchEnv env, Path dir, String originUrl) throws Systems.StartException {
        return start(env, dir, originUrl, Sizing.roomy(), true);
    }

    static String webSocketRemap(int port, String originHostPort) {
        return "map ws://127.0.0.1:" + port + "/ ws://" + originHostPort + "/\n";
    }

    private static CacheSystem start(BenchEnv env, Path dir, String originUrl, Sizing sizing, boolean webSocket)
            throws Systems.StartException {
        Optional<String> no = refused(sizing);
        if (no.isPresent()) {
            throw new Systems.StartException("ATS: " + no.get());
        }
        Layout l = layout(sizing);
        boolean stats = l.tight();
        int port = Systems.freePort();
        Path etc = dir.resolve("etc");
        Path log = dir.resolve("traffic_server.out");
        Path spanFile;
        try {
            for (String d : List.of("etc", "log", "run", "cache")) {
                Files.createDirectories(dir.resolve(d));
            }
            spanFile = spanDir(dir, l.spanBytes()).resolve("outpost-ats-" + ProcessHandle.current().pid() + "-"
                    + dir.getFileName() + ".span");
            try (RandomAccessFile f = new RandomAccessFile(spanFile.toFile(), "rw")) {
                f.setLength(l.spanBytes()); // sparse: tmpfs pages are only taken as ATS writes
            }
            Path rules = etc.resolve("cache-status.conf");
            Files.writeString(dir.resolve("runroot.yaml"), runroot(dir));
            Files.writeString(etc.resolve("records.config"), records(port, execThreads(env.serverCpus()), l));
            Files.writeString(etc.resolve("storage.config"), storage(spanFile, l.spanBytes()));
            String origin = originUrl.replaceFirst("^(http|ws)://", "").replaceFirst("/$", "");
            Files.writeString(etc.resolve("remap.config"), (webSocket ? webSocketRemap(port, origin) : "") + remap(origin, rules));
            Files.writeString(rules, cacheStatusRules());
            Files.writeString(etc.resolve("plugin.config"), plugins(stats));
            Path ipAllow = Path.of("/etc/trafficserver/ip_allow.yaml");
            Files.writeString(etc.resolve("ip_allow.yaml"), Files.isReadable(ipAllow) ? Files.readString(ipAllow) : ALLOW_LOOPBACK);
            for (String empty : List.of("volume.config", "hosting.config", "cache.config", "parent.config", "socks.config",
                    "splitdns.config", "logging.yaml", "sni.yaml", "ssl_multicert.config", "strategies.yaml")) {
                Files.writeString(etc.resolve(empty), "");
            }
        } catch (IOException e) {
            throw new Systems.StartException("ATS: cannot write its config: " + e.getMessage());
        }
        Process p = Proc.start(env.serverCpus(), List.of("traffic_server", "--run-root=" + dir.resolve("runroot.yaml").toAbsolutePath()),
                log, dir);
        Path diags = dir.resolve("log/diags.log");
        try {
            awaitHttp(p, log, "ATS", port, "/__ready", Duration.ofSeconds(30));
            awaitCache(p, diags, Duration.ofSeconds(30));
        } catch (Systems.StartException e) {
            Proc.kill(p.toHandle(), Duration.ofSeconds(5));
            deleteQuietly(spanFile);
            throw e;
        }
        String pinning = repin(env.serverCpus(), p.pid());
        OptionalInt threads = execThreads(env.serverCpus());
        String s = String.format(Locale.ROOT, "ATS: traffic_server alone, %s exec thread%s%s, RAM cache %s, span %s on %s%s, "
                        + "read-while-writer with %d open-read retries every %d ms, h2c on the same port",
                threads.isPresent() ? Integer.toString(threads.getAsInt()) : "autoconfigured",
                threads.isPresent() && threads.getAsInt() == 1 ? "" : "s", pinning, mib(l.ramBytes()), mib(l.spanBytes()),
                spanFile.getParent(), l.tight() ? ", min_average_object_size " + l.averageObjectSize() : "",
                OPEN_READ_RETRIES, OPEN_READ_RETRY_MILLIS) + (webSocket ? ", remap ws://127.0.0.1:" + port + "/ to the origin" : "");
        return new TrafficServerSystem(p, dir, log, port, spanFile, stats, s);
    }

    /** Used when the package's ip_allow.yaml is missing: the loopback only, every method. */
    static final String ALLOW_LOOPBACK = """
            ip_allow:
              - apply: in
                ip_addrs: 127.0.0.1
                action: allow
            """;

    private static String mib(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + " MiB" : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }

    /** Waits for diags.log to say the cache is enabled: traffic_server answers even with its cache disabled. */
    static void awaitCache(Process p, Path diags, Duration timeout) throws Systems.StartException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String text = "";
            try {
                text = Files.exists(diags) ? Files.readString(diags) : "";
            } catch (IOException e) {
                // not written yet
            }
            if (text.contains("cache enabled")) {
                return;
            }
            if (text.contains("Cache Disabled") || !p.isAlive()) {
                throw new Systems.StartException("ATS: its cache did not start: " + tail(diags));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new Systems.StartException("ATS: its cache was not enabled within " + timeout.toSeconds() + "s: " + tail(diags));
    }

    /**
     * Puts every thread of the process back on the server CPUs: traffic_server binds its exec
     * thread to the machine's whole CPU set (hwloc) even with {@code exec_thread.affinity 0}.
     * Says what it did, for the settings line.
     */
    static String repin(Optional<String> cpus, long pid) {
        if (cpus.isEmpty() || !Proc.exists("taskset")) {
            return "";
        }
        Proc.Result r = Proc.run(Optional.empty(), Duration.ofSeconds(10),
                List.of("taskset", "-a", "-p", "-c", cpus.get(), Long.toString(pid)));
        List<String> off = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                String status = Files.readString(t.resolve("status"));
                Matcher m = Pattern.compile("Cpus_allowed_list:\\s*(\\S+)").matcher(status);
                if (m.find() && !m.group(1).equals(cpus.get())) {
                    off.add(m.group(1));
                }
            }
        } catch (IOException e) {
            return ", threads re-pinned to CPU " + cpus.get() + " (not verified: " + e.getMessage() + ")";
        }
        if (!r.ok() || !off.isEmpty()) {
            return ", re-pinning to CPU " + cpus.get() + " failed (" + (r.ok() ? "threads on " + off : r.lastLine()) + ")";
        }
        return ", all threads pinned to CPU " + cpus.get();
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        super.close();
        deleteQuietly(span);
    }

    @Override
    public SystemKind kind() {
        return SystemKind.ATS;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int h2Port() {
        return port;
    }

    /**
     * What ATS reports of its holdings: directory entries in use. It drops the entry of a
     * document the circular log has overwritten only when it next looks it up, so this counts
     * more than it holds (the suite measured what a span holds by probing the newest objects
     * instead, see {@link #OBJECT_OVERHEAD}).
     */
    static final String DIR_ENTRIES = "directory entries, overwritten documents included";

    /**
     * Directory entries in use, from stats_over_http, when the sizing turned it on (see
     * {@link #DIR_ENTRIES}). ATS folds its per-thread counters into what the plugin shows every few
     * seconds (zero until the first time): the figure is read after {@value #STATS_SETTLE_MILLIS} ms,
     * so it is the count at the end of the run.
     */
    @Override
    public Map<String, Long> objectsHeld() {
        if (!stats) {
            return Map.of();
        }
        try {
            for (int attempt = 0; attempt < 3; attempt++) {
                Thread.sleep(STATS_SETTLE_MILLIS);
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/" + STATS_PATH))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                Map<String, Long> held = parseDirEntries(r.body());
                if (!held.isEmpty() && held.get(DIR_ENTRIES) > 0) {
                    return held;
                }
            }
            return Map.of();
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    static final long STATS_SETTLE_MILLIS = 5500;

    static Map<String, Long> parseDirEntries(String statsJson) {
        Matcher m = DIRENTRIES.matcher(statsJson);
        return m.find() ? Map.of(DIR_ENTRIES, Long.parseLong(m.group(1))) : Map.of();
    }

    @Override
    public String settings() {
        return settings;
    }
}

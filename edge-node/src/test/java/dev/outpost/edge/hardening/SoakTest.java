package dev.outpost.edge.hardening;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.testing.PrometheusText;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.config.Durations;
import dev.outpost.testing.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in its own JVM under a mixed workload for a while: hits (memory and disk), misses that
 * fill and evict, responses that may not be stored, errors the workload asks for, purges by URL,
 * tag and prefix on the admin listener, and new delivery configs applied as a fleet agent would.
 *
 * <p>Checked throughout: every response is the object asked for, whole (each body names its
 * path and its length is known); no error the workload didn't ask for; no purge lost (after a
 * purge returns, the object comes from the origin again, newer than before); no config stuck
 * half-applied (once a push returns, the node reports that version and serves by its rules).
 * Checked after warm-up: heap after a full GC (forced with jcmd), file descriptors and p99
 * latency stay flat. Figures are printed and written under {@code target/hardening/}.
 *
 * <p>The default test command runs 20 s; the 10-minute run is tagged {@code soak}:
 * {@code ./mvnw -pl edge-node -am verify -Doutpost.test.all -Dtest=SoakTest
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code -Doutpost.soak.duration=30m} for longer).
 */
class SoakTest {

    @TempDir
    Path tmp;

    @Test
    void twentySecondsOfMixedTraffic() throws Exception {
        soak(Duration.ofSeconds(20), 500);
    }

    @Test
    @Tag("soak")
    void tenMinutesOfMixedTraffic() throws Exception {
        soak(Durations.parse(System.getProperty("outpost.soak.duration", "10m")), 5_000);
    }

    // ------------------------------------------------------------------ origin

    /** Bodies that name their path and generation (one more per origin request), of a size known from the path. */
    static final class SoakOrigin implements AutoCloseable {
        final HttpServer server;
        final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
        final AtomicLong requests = new AtomicLong();

        SoakOrigin() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", this::handle);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        static int size(String path) {
            String[] p = path.split("/");
            int h = Math.abs(p[2].hashCode() % 10_000);
            return switch (p[1]) {
                case "hot" -> 2_000 + (h * 397) % 40_000;
                case "big" -> 600_000 + (h % 20) * 120_000;
                case "miss" -> 1_000 + (h * 131) % 20_000;
                case "err" -> 64;
                default -> 200;
            };
        }

        private void handle(HttpExchange ex) throws IOException {
            requests.incrementAndGet();
            String path = ex.getRequestURI().getPath();
            String kind = path.split("/")[1];
            long gen = generations.computeIfAbsent(path, k -> new AtomicLong()).incrementAndGet();
            var h = ex.getResponseHeaders();
            int status = 200;
            switch (kind) {
                case "hot" -> {
                    h.add("Cache-Control", "max-age=30");
                    h.add("Surrogate-Key", "hot grp-" + Math.abs(path.hashCode() % 10));
                }
                case "big" -> h.add("Cache-Control", "max-age=120");
                case "nostore" -> h.add("Cache-Control", "no-store");
                case "err" -> {
                    status = 404;
                    h.add("Cache-Control", "max-age=60");
                }
                default -> h.add("Cache-Control", "max-age=3600");
            }
            byte[] body = body(path, gen, size(path));
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }

        static byte[] body(String path, long gen, int size) {
            byte[] head = (path + " gen=" + gen + "\n").getBytes(StandardCharsets.US_ASCII);
            byte[] b = new byte[Math.max(size, head.length)];
            System.arraycopy(head, 0, b, 0, head.length);
            Arrays.fill(b, head.length, b.length, (byte) ('a' + gen % 26));
            return b;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    // ------------------------------------------------------------------ figures

    /** One window of {@code window} completed requests. */
    record Sample(double atSeconds, double p50Millis, double p99Millis, double heapBytes, double openFiles,
                  double directBytes, double threads, double diskBytes) {
    }

    static final class Tally {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong hits = new AtomicLong();
        final AtomicLong intendedErrors = new AtomicLong();
        final AtomicLong purges = new AtomicLong();
        final AtomicLong purgesVerified = new AtomicLong();
        final AtomicLong lostPurges = new AtomicLong();
        final AtomicLong configPushes = new AtomicLong();
        final AtomicLong configMismatches = new AtomicLong();
        final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    }

    // ------------------------------------------------------------------ the run

    void soak(Duration duration, int window) throws Exception {
        Tally t = new Tally();
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        int controlPort = Ports.free();
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path config = tmp.resolve("soak.yaml");
        try (SoakOrigin origin = new SoakOrigin();
             EdgeProcess edge = EdgeProcess.of(SoakNodeMain.class, nodeLog(duration),
                     List.of("-Xmx256m", "-XX:+UseG1GC"), config.toString(), Integer.toString(controlPort))) {
            Files.writeString(config, """
                    node-id: soak
                    listen: 127.0.0.1:%d
                    admin: 127.0.0.1:%d
                    data-dir: %s
                    access-log: "off"
                    admin-token: soak-token
                    cache: {memory-size: 48MiB, memory-max-object: 256KiB, disk-size: 192MiB, chunk-size: 64KiB}
                    %s""".formatted(edge.port, edge.adminPort, data, delivery(origin.url(), 1)));
            edge.start();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            String base = "http://127.0.0.1:" + edge.port;
            long start = System.nanoTime();
            long deadline = start + duration.toNanos();
            AtomicBoolean stop = new AtomicBoolean();
            Semaphore operatorPace = new Semaphore(0);
            Semaphore samplerPace = new Semaphore(0);
            List<Long> latencies = new ArrayList<>();
            int clients = Integer.getInteger("outpost.soak.clients", 6);
            List<Thread> threads = new ArrayList<>();
            long seed = Long.getLong("outpost.soak.seed", System.nanoTime());
            for (int c = 0; c < clients; c++) {
                Random rnd = new Random(seed + c);
                threads.add(Thread.ofVirtual().name("soak-client-" + c).start(() -> {
                    while (!stop.get()) {
                        long ns = clientRequest(client, base, rnd, t);
                        synchronized (latencies) {
                            latencies.add(ns);
                        }
                        long n = t.requests.incrementAndGet();
                        if (n % 250 == 0) {
                            operatorPace.release();
                        }
                        if (n % window == 0) {
                            samplerPace.release();
                        }
                        if (System.nanoTime() > deadline) {
                            stop.set(true);
                        }
                    }
                }));
            }
            threads.add(Thread.ofVirtual().name("soak-operator").start(() ->
                    operator(client, base, edge, controlPort, origin, operatorPace, stop, t)));

            // heap after a forced full GC, once warm (a quarter of the run) and at the end
            double[] heapAfterGc = new double[4]; // heap after warm-up, heap at the end, then direct buffers likewise
            boolean warmMarked = false;
            while (!stop.get()) {
                if (!samplerPace.tryAcquire(1, TimeUnit.SECONDS)) {
                    continue;
                }
                List<Long> w;
                synchronized (latencies) {
                    w = new ArrayList<>(latencies);
                    latencies.clear();
                }
                String m = edge.admin("/metrics");
                double at = (System.nanoTime() - start) / 1e9;
                samples.add(new Sample(at, percentile(w, 0.50), percentile(w, 0.99),
                        PrometheusText.sum(m, "jvm_memory_used_bytes", "area", "heap"),
                        PrometheusText.sum(m, "process_files_open_files"),
                        PrometheusText.sum(m, "jvm_buffer_memory_used_bytes", "id", "direct"),
                        PrometheusText.sum(m, "jvm_threads_live_threads"),
                        PrometheusText.sum(m, "outpost_cache_bytes", "tier", "disk")));
                if (!warmMarked && at > duration.toSeconds() / 4.0) {
                    warmMarked = true;
                    heapAfterGc[0] = heapAfterFullGc(edge);
                    heapAfterGc[2] = PrometheusText.sum(edge.admin("/metrics"), "jvm_buffer_memory_used_bytes", "id", "direct");
                }
            }
            for (Thread th : threads) {
                th.join(Duration.ofSeconds(60));
            }
            heapAfterGc[1] = heapAfterFullGc(edge);
            heapAfterGc[3] = PrometheusText.sum(edge.admin("/metrics"), "jvm_buffer_memory_used_bytes", "id", "direct");
            double elapsed = (System.nanoTime() - start) / 1e9;
            String metricsAtEnd = edge.admin("/metrics");
            int exit = edge.terminate();

            String report = report(duration, elapsed, t, samples, heapAfterGc, metricsAtEnd, origin, clients, exit);
            System.out.println(report);
            Path out = Files.createDirectories(Path.of("target", "hardening"));
            Files.writeString(out.resolve("soak-" + Durations.format(duration) + ".txt"), report);

            assertThat(t.unexpected).as("errors the workload did not ask for").isEmpty();
            assertThat(t.lostPurges.get()).as("purges lost").isZero();
            assertThat(t.configMismatches.get()).as("configs not fully applied").isZero();
            assertThat(t.purgesVerified.get()).as("purges checked").isGreaterThan(0);
            assertThat(t.configPushes.get()).as("configs pushed").isGreaterThan(0);
            assertThat(warmMarked).as("samples after warm-up").isTrue();
            List<Sample> steady = samples.subList(samples.size() / 4, samples.size());
            assertThat(steady.size()).as("samples after warm-up").isGreaterThanOrEqualTo(3);
            List<Sample> first = steady.subList(0, steady.size() / 3 == 0 ? 1 : steady.size() / 3);
            List<Sample> last = steady.subList(steady.size() - Math.max(1, steady.size() / 3), steady.size());
            assertThat(heapAfterGc[1]).as("heap after full GC: end against after warm-up")
                    .isLessThanOrEqualTo(heapAfterGc[0] * 1.25 + 16 * 1048576);
            assertThat(max(last, Sample::openFiles)).as("open files: last third against first third")
                    .isLessThanOrEqualTo(max(first, Sample::openFiles) + 32);
            assertThat(max(last, Sample::threads)).as("live threads: last third against first third")
                    .isLessThanOrEqualTo(max(first, Sample::threads) + 32);
            assertThat(median(last, Sample::p99Millis)).as("p99 latency (ms): last third against first third")
                    .isLessThanOrEqualTo(median(first, Sample::p99Millis) * 2 + 25);
        }
    }

    /** The node's log, kept under {@code target/hardening/} for a look after the run. */
    private static Path nodeLog(Duration duration) throws IOException {
        Path log = Files.createDirectories(Path.of("target", "hardening")).resolve("soak-node-" + Durations.format(duration) + ".log");
        Files.deleteIfExists(log);
        return log;
    }

    /** The delivery part of the config: version {@code v}'s rules (TTL and browser Cache-Control differ by version). */
    static String delivery(String originUrl, long v) {
        return """
                origins:
                  - name: default
                    servers: [{url: "%s"}]
                rules:
                  - name: cfg
                    match: {path-prefix: /cfg/}
                    browser-cache-control: "max-age=%d"
                  - name: hot
                    match: {path-prefix: /hot/}
                    ttl: %ds
                  - name: miss
                    match: {path-prefix: /miss/}
                    cache-key: {query: none}
                """.formatted(originUrl, v, 20 + v % 20);
    }

    /** One client request of the mix; returns its latency. Anything but the answer asked for is recorded. */
    private static long clientRequest(HttpClient client, String base, Random rnd, Tally t) {
        int r = rnd.nextInt(100);
        String path;
        int expect = 200;
        if (r < 55) {
            // hot set, skewed: a few objects take most requests
            path = "/hot/" + (int) (200 * Math.pow(rnd.nextDouble(), 3));
        } else if (r < 65) {
            path = "/big/" + rnd.nextInt(12);
        } else if (r < 85) {
            path = "/miss/" + Long.toHexString(rnd.nextLong()) + "?q=" + rnd.nextInt(4);
        } else if (r < 92) {
            path = "/nostore/" + rnd.nextInt(50);
        } else if (r < 95) {
            path = "/err/" + rnd.nextInt(30);
            expect = 404;
        } else {
            path = "/cfg/" + rnd.nextInt(20);
        }
        long t0 = System.nanoTime();
        try {
            HttpResponse<byte[]> resp = client.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            long ns = System.nanoTime() - t0;
            String objectPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            String body = new String(resp.body(), 0, Math.min(resp.body().length, 200), StandardCharsets.US_ASCII);
            if (resp.statusCode() != expect) {
                t.unexpected.add(path + ": status " + resp.statusCode() + " " + resp.headers().firstValue("Cache-Status").orElse(""));
            } else if (!body.startsWith(objectPath + " gen=") || resp.body().length != SoakOrigin.size(objectPath)) {
                t.unexpected.add(path + ": wrong or partial body (" + resp.body().length + " bytes, starts "
                        + body.lines().findFirst().orElse("") + ")");
            } else if (expect == 404) {
                t.intendedErrors.incrementAndGet();
            }
            if (resp.headers().firstValue("Cache-Status").orElse("").contains("; hit")) {
                t.hits.incrementAndGet();
            }
            return ns;
        } catch (IOException e) {
            t.unexpected.add(path + ": " + e);
            return System.nanoTime() - t0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return System.nanoTime() - t0;
        }
    }

    /** Purges (URL, tag, prefix) and config pushes, each checked, paced by the clients' progress. */
    private static void operator(HttpClient client, String base, EdgeProcess edge, int controlPort, SoakOrigin origin,
                                 Semaphore pace, AtomicBoolean stop, Tally t) {
        long version = 1;
        int step = 0;
        Random rnd = new Random(7);
        while (!stop.get()) {
            try {
                if (!pace.tryAcquire(1, TimeUnit.SECONDS)) {
                    continue;
                }
                switch (step++ % 4) {
                    case 0 -> purgeAndCheck(client, base, edge, "/probe/" + rnd.nextInt(20), "url", t);
                    case 1 -> {
                        int n = rnd.nextInt(10);
                        String path = "/hot/" + n;
                        String tag = "grp-" + Math.abs(path.hashCode() % 10);
                        purgeAndCheck(client, base, edge, path, "tag:" + tag, t);
                    }
                    case 2 -> {
                        t.purges.incrementAndGet();
                        var r = edge.adminPost("/purge", "{\"kind\":\"prefix\",\"values\":[\"" + base + "/miss/\"],"
                                + "\"soft\":" + rnd.nextBoolean() + "}", "soak-token");
                        if (r.statusCode() != 200) {
                            t.unexpected.add("prefix purge: " + r.statusCode() + " " + r.body());
                        }
                    }
                    default -> pushConfig(client, base, edge, controlPort, origin, ++version, t);
                }
            } catch (IOException | RuntimeException e) {
                t.unexpected.add("operator: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long generation(HttpResponse<byte[]> r) {
        String first = new String(r.body(), 0, Math.min(r.body().length, 200), StandardCharsets.US_ASCII).lines().findFirst()
                .orElse("");
        return Long.parseLong(first.substring(first.indexOf("gen=") + 4));
    }

    /** Reads an object, purges it (by URL or tag), reads it again: the second read must come from the origin, newer. */
    private static void purgeAndCheck(HttpClient client, String base, EdgeProcess edge, String path, String how, Tally t)
            throws IOException, InterruptedException {
        HttpResponse<byte[]> before = client.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        long genBefore = generation(before);
        String doc = how.startsWith("tag:") ? "{\"kind\":\"tag\",\"values\":[\"" + how.substring(4) + "\"]}"
                : "{\"kind\":\"url\",\"values\":[\"" + base + path + "\"]}";
        t.purges.incrementAndGet();
        var r = edge.adminPost("/purge", doc, "soak-token");
        if (r.statusCode() != 200) {
            t.unexpected.add(how + " purge: " + r.statusCode() + " " + r.body());
            return;
        }
        HttpResponse<byte[]> after = client.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        long genAfter = generation(after);
        t.purgesVerified.incrementAndGet();
        if (genAfter <= genBefore) {
            t.lostPurges.incrementAndGet();
            t.unexpected.add(how + " purge of " + path + " lost: generation " + genBefore + " served again ("
                    + after.headers().firstValue("Cache-Status").orElse("") + ")");
        }
    }

    private static void pushConfig(HttpClient client, String base, EdgeProcess edge, int controlPort, SoakOrigin origin,
                                   long version, Tally t) throws IOException, InterruptedException {
        HttpResponse<String> push = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPort
                        + "/config?version=" + version)).POST(HttpRequest.BodyPublishers.ofString(delivery(origin.url(), version)))
                .build(), HttpResponse.BodyHandlers.ofString());
        t.configPushes.incrementAndGet();
        if (push.statusCode() != 200) {
            t.unexpected.add("config push " + version + ": " + push.statusCode() + " " + push.body());
            return;
        }
        String health = edge.admin("/healthz");
        HttpResponse<byte[]> cfg = client.send(HttpRequest.newBuilder(URI.create(base + "/cfg/" + version % 20)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        String cc = cfg.headers().firstValue("Cache-Control").orElse("");
        if (!health.contains("\"config-version\":" + version) || !cc.equals("max-age=" + version)) {
            t.configMismatches.incrementAndGet();
            t.unexpected.add("config " + version + " not in force: healthz " + health + ", Cache-Control " + cc);
        }
    }

    // ------------------------------------------------------------------ measuring

    /** Runs a full GC in the node (jcmd) and returns its heap use right after. */
    private static double heapAfterFullGc(EdgeProcess edge) throws IOException, InterruptedException {
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        Path jcmd = java.resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(edge.pid()), "GC.run").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return PrometheusText.sum(edge.admin("/metrics"), "jvm_memory_used_bytes", "area", "heap");
    }

    static double percentile(List<Long> nanos, double q) {
        if (nanos.isEmpty()) {
            return 0;
        }
        long[] a = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) Math.ceil(q * a.length) - 1)] / 1e6;
    }

    private static double max(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        return s.stream().mapToDouble(f).max().orElse(0);
    }

    private static double min(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        return s.stream().mapToDouble(f).min().orElse(0);
    }

    private static double median(List<Sample> s, java.util.function.ToDoubleFunction<Sample> f) {
        double[] v = s.stream().mapToDouble(f).sorted().toArray();
        return v.length == 0 ? 0 : v[v.length / 2];
    }

    private static String report(Duration duration, double elapsed, Tally t, List<Sample> samples, double[] heapAfterGc,
                                 String metricsAtEnd, SoakOrigin origin, int clients, int exit) {
        List<Sample> steady = samples.subList(samples.size() / 4, samples.size());
        List<Sample> first = steady.isEmpty() ? steady : steady.subList(0, Math.max(1, steady.size() / 3));
        List<Sample> last = steady.isEmpty() ? steady : steady.subList(steady.size() - Math.max(1, steady.size() / 3), steady.size());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "soak %s (%.0f s), %d clients: %d requests (%.0f/s), %d hits (%.1f%%), "
                        + "%d origin requests%n", Durations.format(duration), elapsed, clients, t.requests.get(),
                t.requests.get() / elapsed, t.hits.get(), 100.0 * t.hits.get() / Math.max(1, t.requests.get()),
                origin.requests.get()));
        sb.append(String.format(Locale.ROOT, "  purges: %d (%d checked), lost: %d; config pushes: %d, not in force after "
                        + "the push: %d; 404s asked for: %d; errors not asked for: %d; exit code after SIGTERM: %d%n",
                t.purges.get(), t.purgesVerified.get(), t.lostPurges.get(), t.configPushes.get(), t.configMismatches.get(),
                t.intendedErrors.get(), t.unexpected.size(), exit));
        sb.append(String.format(Locale.ROOT, "  after a full GC: heap %.1f MiB after warm-up, %.1f MiB at the end; "
                        + "direct buffers %.1f MiB, %.1f MiB (the memory tier's bodies)%n",
                heapAfterGc[0] / 1048576, heapAfterGc[1] / 1048576, heapAfterGc[2] / 1048576, heapAfterGc[3] / 1048576));
        sb.append(String.format(Locale.ROOT, "  after warm-up, first third -> last third: p99 %.1f -> %.1f ms (median of "
                        + "windows), p50 %.2f -> %.2f ms, open files max %.0f -> %.0f, threads max %.0f -> %.0f, heap min %.1f -> "
                        + "%.1f MiB, direct buffers max %.1f -> %.1f MiB, disk tier %.1f -> %.1f MiB%n",
                median(first, Sample::p99Millis), median(last, Sample::p99Millis), median(first, Sample::p50Millis),
                median(last, Sample::p50Millis), max(first, Sample::openFiles), max(last, Sample::openFiles),
                max(first, Sample::threads), max(last, Sample::threads), min(first, Sample::heapBytes) / 1048576,
                min(last, Sample::heapBytes) / 1048576, max(first, Sample::directBytes) / 1048576,
                max(last, Sample::directBytes) / 1048576, max(first, Sample::diskBytes) / 1048576,
                max(last, Sample::diskBytes) / 1048576));
        sb.append(String.format(Locale.ROOT, "  node counters at the end: corrupt %.0f, disk errors %.0f, evictions memory "
                        + "%.0f / disk %.0f%n", PrometheusText.sum(metricsAtEnd, "outpost_cache_corrupt_total"),
                PrometheusText.sum(metricsAtEnd, "outpost_cache_disk_errors_total"),
                PrometheusText.sum(metricsAtEnd, "outpost_cache_evictions_total", "tier", "memory"),
                PrometheusText.sum(metricsAtEnd, "outpost_cache_evictions_total", "tier", "disk")));
        sb.append("  windows (t s, p50 ms, p99 ms, heap MiB, open files, threads):\n");
        int every = Math.max(1, samples.size() / 40);
        for (int i = 0; i < samples.size(); i += every) {
            Sample s = samples.get(i);
            sb.append(String.format(Locale.ROOT, "    %6.1f %7.2f %7.1f %7.1f %5.0f %4.0f%n", s.atSeconds(), s.p50Millis(),
                    s.p99Millis(), s.heapBytes() / 1048576, s.openFiles(), s.threads()));
        }
        synchronized (t.unexpected) {
            t.unexpected.stream().limit(20).forEach(u -> sb.append("  unexpected: ").append(u).append('\n'));
        }
        return sb.toString();
    }
}

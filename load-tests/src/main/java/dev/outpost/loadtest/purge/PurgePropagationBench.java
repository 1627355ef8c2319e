package dev.outpost.loadtest.purge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.HostPort;
import dev.outpost.config.ListenerLimits;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.RateLimit;
import dev.outpost.controlplane.ControlPlane;
import dev.outpost.testing.EtcdCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Purge propagation to a fleet, on both stores in one run, so that the load of a shared machine
 * weighs on both alike:
 *
 * <ul>
 *   <li><b>embedded</b>: one control plane in process on its RocksDB store (HTTP API, SSE fan-out)
 *       and {@code --nodes} simulated nodes speaking the real protocol over loopback;
 *   <li><b>etcd</b>: a real etcd cluster of {@code --etcd-members} members on free loopback ports
 *       (the tests' {@link EtcdCluster}), {@code --replicas} control planes in process sharing it,
 *       the nodes spread over the replicas (node i on replica i mod replicas), each purge sent to
 *       the next replica in turn.
 * </ul>
 *
 * <p>Both are timed the same way: from just before the purge request is sent to the moment the
 * last node's ack was answered by its replica (send to ack by every node), with the next purge
 * sent only once every node acked the previous one. The embedded run also reports, as before,
 * the control plane's own figure (acceptance to last ack, {@code propagation-seconds}) and the
 * client's time until the answer said complete ({@code ?wait=5s}). Prints one JSON object: the
 * embedded figures at the top level (as before), then {@code embedded.*}, {@code etcd.*} and
 * {@code ratio.*} (etcd ÷ embedded). Target: p99 under 50 ms with 50 nodes, on both.
 *
 * <p>etcd's data directory is on tmpfs ({@code /dev/shm}) when there is one, so that the figure
 * is Outpost's path and not this machine's disk fsync; {@code --etcd-data disk} puts it in the
 * temporary directory instead. Without an etcd binary (Debian's {@code etcd-server}, or
 * {@code OUTPOST_ETCD}) the etcd figures are {@code n/a} with the reason.
 *
 * <p>Usage: {@code PurgePropagationBench [--nodes 50] [--purges 500] [--warmup 50]
 * [--store both|embedded|etcd] [--replicas 3] [--etcd-members 3] [--etcd-data tmpfs|disk]}
 */
public final class PurgePropagationBench {

    static final double TARGET_P99_MS = 50;
    private static final String TOKEN = "bench-token-0123456789";
    private static final Duration ACK_WAIT = Duration.ofSeconds(5);

    private PurgePropagationBench() {
    }

    /** Figures of one system: send to every ack (both), and the control plane's own (embedded only). */
    record Run(double[] acked, double[] server, double[] client, int incomplete, String setup) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("nodes", "50", "purges", "500", "warmup", "50",
                "store", "both", "replicas", "3", "etcd-members", "3", "etcd-data", "tmpfs"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int nodes = Integer.parseInt(opts.get("nodes"));
        int purges = Integer.parseInt(opts.get("purges"));
        int warmup = Integer.parseInt(opts.get("warmup"));
        String store = opts.get("store");
        int replicas = Integer.parseInt(opts.get("replicas"));
        int members = Integer.parseInt(opts.get("etcd-members"));
        boolean tmpfs = !"disk".equals(opts.get("etcd-data"));

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "purge-propagation");
        out.put("nodes", nodes);
        out.put("purges", purges);
        Run embedded = null;
        if (!"etcd".equals(store)) {
            embedded = embedded(nodes, purges, warmup);
            out.put("incomplete", embedded.incomplete());
            out.put("p50_ms", round(percentile(embedded.server(), 50)));
            out.put("p99_ms", round(percentile(embedded.server(), 99)));
            out.put("max_ms", round(percentile(embedded.server(), 100)));
            out.put("client_p50_ms", round(percentile(embedded.client(), 50)));
            out.put("client_p99_ms", round(percentile(embedded.client(), 99)));
            out.put("target_p99_ms", (int) TARGET_P99_MS);
            out.put("pass", passes(embedded));
            out.put("embedded", figures(embedded));
        }
        Run etcd = null;
        if (!"embedded".equals(store)) {
            if (EtcdCluster.binary() == null) {
                out.put("etcd", Map.of("setup", "n/a: no etcd binary (Debian: apt-get install etcd-server; or set OUTPOST_ETCD)"));
            } else {
                etcd = etcd(nodes, purges, warmup, replicas, members, tmpfs);
                out.put("etcd", figures(etcd));
            }
        }
        if (embedded != null && etcd != null) {
            Map<String, Object> ratio = new LinkedHashMap<>();
            for (int p : new int[] {50, 99}) {
                double e = percentile(embedded.acked(), p);
                ratio.put("etcd_to_embedded_p" + p, e > 0 ? round(percentile(etcd.acked(), p) / e) : "n/a");
            }
            double emax = percentile(embedded.acked(), 100);
            ratio.put("etcd_to_embedded_max", emax > 0 ? round(percentile(etcd.acked(), 100) / emax) : "n/a");
            out.put("ratio", ratio);
        }
        System.out.println(OutpostJson.json().writeValueAsString(out));
    }

    private static boolean passes(Run r) {
        return r.incomplete() == 0 && percentile(r.acked(), 99) < TARGET_P99_MS;
    }

    private static Map<String, Object> figures(Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("setup", r.setup());
        m.put("ack_p50_ms", round(percentile(r.acked(), 50)));
        m.put("ack_p99_ms", round(percentile(r.acked(), 99)));
        m.put("ack_max_ms", round(percentile(r.acked(), 100)));
        m.put("incomplete", r.incomplete());
        m.put("pass", passes(r));
        return m;
    }

    private static ControlPlaneConfig config(Path data) {
        return new ControlPlaneConfig(new HostPort("127.0.0.1", 0), null, null, null, data.toString(),
                TOKEN, null, null, null, null, Duration.ofSeconds(30), new RateLimit(1e6, 1_000_000, null),
                null, null, null, Duration.ofSeconds(1))
                // every simulated node connects from loopback: lift the per-address limit
                .withLimits(new ListenerLimits(100_000, null, null));
    }

    private static Run embedded(int nodes, int purges, int warmup) throws Exception {
        Path data = Files.createTempDirectory("outpost-purge-bench");
        try (ControlPlane cp = new ControlPlane(config(data), InstantSource.system(),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start()) {
            return measure(List.of(cp.url()), nodes, purges, warmup, true, "embedded store (RocksDB), 1 control plane");
        } finally {
            deleteTree(data);
        }
    }

    private static Run etcd(int nodes, int purges, int warmup, int replicas, int members, boolean tmpfs) throws Exception {
        Path shm = Path.of("/dev/shm");
        boolean onTmpfs = tmpfs && Files.isDirectory(shm) && Files.isWritable(shm);
        Path etcdDir = onTmpfs ? Files.createTempDirectory(shm, "outpost-purge-bench-etcd")
                : Files.createTempDirectory("outpost-purge-bench-etcd");
        Path data = Files.createTempDirectory("outpost-purge-bench");
        List<ControlPlane> cps = new ArrayList<>();
        try (EtcdCluster cluster = EtcdCluster.start(etcdDir, members)) {
            String prefix = "/purge-bench/";
            for (int i = 0; i < replicas; i++) {
                cps.add(new ControlPlane(config(data.resolve("cp" + i)).withEtcd(cluster.endpoints(), prefix),
                        InstantSource.system(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start());
            }
            try {
                return measure(cps.stream().map(ControlPlane::url).toList(), nodes, purges, warmup, false,
                        String.format(Locale.ROOT, "etcd %s, %d members, data on %s; %d control-plane replicas", etcdVersion(),
                                members, onTmpfs ? "tmpfs (/dev/shm)" : "disk (" + etcdDir.getParent() + ")", replicas));
            } finally {
                // the replicas first, while etcd still answers them
                for (ControlPlane cp : cps) {
                    cp.close();
                }
            }
        } finally {
            deleteTree(etcdDir);
            deleteTree(data);
        }
    }

    /**
     * Subscribes the nodes (node i to {@code urls[i mod n]}), sends the purges (purge i to
     * {@code urls[i mod n]}), one at a time, each once every node acked the previous one, and
     * times each from its send to the last ack.
     */
    private static Run measure(List<URI> urls, int nodes, int purges, int warmup, boolean serverFigures, String setup)
            throws Exception {
        AckTracker tracker = new AckTracker(nodes);
        List<SimulatedNode> fleet = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                fleet.add(new SimulatedNode(urls.get(i % urls.size()), TOKEN, String.format(Locale.ROOT, "sim-%03d", i),
                        tracker::acked).start());
            }
            for (SimulatedNode n : fleet) {
                if (!n.synced.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("a simulated node did not subscribe");
                }
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            double[] acked = new double[purges];
            double[] server = new double[purges];
            double[] client = new double[purges];
            Arrays.fill(server, Double.NaN);
            Arrays.fill(client, Double.NaN);
            int incomplete = 0;
            for (int i = -warmup; i < purges; i++) {
                URI base = urls.get(Math.floorMod(i, urls.size()));
                String body = "{\"kind\":\"url\",\"values\":[\"https://www.example.test/obj/" + i + "\"]}";
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                URI.create(base + "/v1/purges" + (serverFigures ? "?wait=5s" : "")))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                long t1 = System.nanoTime();
                if (r.statusCode() / 100 != 2) {
                    throw new IllegalStateException("purge refused: " + r.statusCode() + " " + r.body());
                }
                JsonNode status = OutpostJson.json().readTree(r.body());
                long seq = status.path("sequence").asLong();
                long last = tracker.awaitAll(seq, ACK_WAIT);
                if (i < 0) {
                    continue;
                }
                if (last < 0 || (serverFigures && !status.path("complete").asBoolean())) {
                    incomplete++;
                }
                acked[i] = last < 0 ? Double.NaN : (last - t0) / 1e6;
                if (serverFigures) {
                    JsonNode secs = status.get("propagation-seconds");
                    server[i] = secs == null || secs.isNull() ? Double.NaN : secs.asDouble() * 1000;
                    client[i] = (t1 - t0) / 1e6;
                }
            }
            return new Run(acked, server, client, incomplete, setup);
        } finally {
            fleet.forEach(SimulatedNode::close);
        }
    }

    /** Counts each purge's acks over the fleet and keeps the time of the last one. */
    static final class AckTracker {
        private final int nodes;
        private final Map<Long, Progress> bySequence = new ConcurrentHashMap<>();

        AckTracker(int nodes) {
            this.nodes = nodes;
        }

        private record Progress(AtomicInteger count, AtomicLong last, CompletableFuture<Long> all) {
        }

        private Progress progress(long seq) {
            return bySequence.computeIfAbsent(seq, s -> new Progress(new AtomicInteger(), new AtomicLong(), new CompletableFuture<>()));
        }

        void acked(long seq, long nanos) {
            Progress p = progress(seq);
            p.last().accumulateAndGet(nanos, Math::max);
            if (p.count().incrementAndGet() == nodes) {
                p.all().complete(p.last().get());
            }
        }

        /** The {@link System#nanoTime()} of the last node's ack of {@code seq}, or -1 when not every node acked within {@code wait}. */
        long awaitAll(long seq, Duration wait) throws InterruptedException {
            Progress p = progress(seq);
            try {
                return p.all().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                return -1;
            } finally {
                bySequence.remove(seq);
            }
        }
    }

    private static String etcdVersion() {
        Path bin = EtcdCluster.binary();
        if (bin == null) {
            return "?";
        }
        try {
            Process p = new ProcessBuilder(bin.toString(), "--version").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("etcd Version: (\\S+)").matcher(text);
            return m.find() ? m.group(1) : "?";
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    static double percentile(double[] values, double p) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, idx))];
    }

    private static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
